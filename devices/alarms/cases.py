"""Alarms → cases: the only code of the devices app that calls the cases app (through its services)."""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.models import Severity
from grids.models import Compound

from ..catalogue import DEVICE_FAULT_CATEGORY
from ..models import Alarm, Scene, SensorPoint
from .changes import alarm_title, broadcast_alarm, lock_points, place_name

logger = logging.getLogger(__name__)

CLUSTER_KEY = "devices:cluster:{scene}:{compound}"


def alarm_source_key(point: SensorPoint, alarm_type: str) -> str:
    """One case per point and alarm type while it is open: a re-raised alarm updates that case."""
    return f"sensor:{point.code}:{alarm_type}"


def open_case_for_alarm(alarm: Alarm, point: SensorPoint) -> int:
    """Open or update the alarm's case in the caller's transaction; returns the case id."""
    scene = point.scene if alarm.scene_id is not None else None
    category = scene.case_category_code if scene is not None else DEVICE_FAULT_CATEGORY
    description = _(
        "%(title)s at %(place)s: %(count)s alarm(s), last value %(value)s, first seen %(first)s."
    ) % {
        "title": alarm_title(alarm, point),
        "place": place_name(point) or f"{point.lat:.6f}, {point.lng:.6f}",
        "count": alarm.count,
        "value": "-" if alarm.last_value is None else f"{alarm.last_value:g}",
        "first": timezone.localtime(alarm.first_seen).strftime("%Y-%m-%d %H:%M:%S"),
    }
    return case_services.open_case_from_alarm(
        source_key=alarm_source_key(point, alarm.type),
        category_code=category,
        severity=alarm.severity,
        title=alarm_title(alarm, point),
        description=description,
        lat=point.lat,
        lng=point.lng,
        grid_id=point.grid_id,
        compound_id=point.compound_id,
        occurred_at=alarm.first_seen,
        emergency=False,
        sensor_code=point.code,
    )


def note_case_sensor_normal(*, case_id: int, normal_since: datetime) -> None:
    """Tell the case the sensor is back to normal; a failure here must not fail ingest."""
    try:
        with transaction.atomic():
            case_services.note_sensor_normal(case_id=case_id, normal_since=normal_since)
    except Exception:
        logger.warning("note_sensor_normal(case %s) failed", case_id, exc_info=True)


def open_alarm_cases(*, alarm_ids: Sequence[int]) -> int:
    """Open or update the case of every alarm among `alarm_ids` that still wants it; then cluster rules.

    Idempotent: an alarm's `case_pending` flag is cleared in the same transaction as the case call.
    """
    done = 0
    clusters: dict[tuple[int, int], Scene] = {}  # (scene id, compound id) with a newly opened case
    pending = list(
        Alarm.objects.filter(id__in=list(alarm_ids), case_pending=True)
        .order_by("point_id", "id")
        .values_list("id", "point_id")
    )
    with case_services.alarm_cases_together():  # the cases' notifications: one task for the batch
        for alarm_id, point_id in pending:
            try:
                with transaction.atomic():
                    point = lock_points([point_id])[point_id]
                    alarm = Alarm.objects.select_related("scene").get(pk=alarm_id)
                    if not alarm.case_pending:
                        continue
                    first_case = alarm.case_id is None
                    alarm.case_id = open_case_for_alarm(alarm, point)
                    alarm.case_pending = False
                    alarm.version += 1
                    alarm.save(update_fields=["case_id", "case_pending", "version"])
                    broadcast_alarm("alarm.updated", alarm, point)
                    done += 1
                    scene = alarm.scene
                    if (
                        first_case
                        and scene is not None
                        and scene.cluster_points
                        and point.compound_id is not None
                    ):
                        clusters[(scene.id, point.compound_id)] = scene
            except Exception:
                logger.exception("opening the case of alarm %s failed; the sweeper retries", alarm_id)
        for (scene_id, compound_id), scene in sorted(clusters.items()):
            # One cluster check per compound and window: in a storm every new alarm of a compound would
            # otherwise re-count the compound's alarms and touch its emergency case again. (A hint only:
            # the cases app dedups the emergency case by its source key.)
            marker = CLUSTER_KEY.format(scene=scene_id, compound=compound_id)
            if cache.get(marker):
                continue
            if check_cluster(scene=scene, compound_id=compound_id) is not None:
                cache.set(marker, 1, timeout=scene.cluster_window_seconds or 300)
    return done


def check_cluster(*, scene: Scene, compound_id: int, now: datetime | None = None) -> int | None:
    """Cluster rule: `cluster_points` points of one compound alarming within the window → emergency case.

    Idempotent per compound while the emergency case is open (the cases app dedups by source key).
    """
    now = now or timezone.now()
    if not scene.cluster_points or not scene.is_live:
        return None
    # From the scene's points in the compound to each one's earliest alarm in the window, so the cost
    # follows the compound's size, through index alarm_point_raised_idx (point, type, raised_at; a scene's
    # alarms have its sensor type). No condition on the alarm's scene: without statistics (a new
    # database, autovacuum off) PostgreSQL then used the scene's index for every point.
    earliest = (
        Alarm.objects.filter(
            point_id=OuterRef("pk"),
            type=scene.sensor_type,
            raised_at__gte=now - timedelta(seconds=scene.cluster_window_seconds),
            false_alarm=False,
        )
        .order_by("first_seen")
        .values("first_seen")[:1]
    )
    # One row per point of the compound, counted here: aggregates in SQL each ran the subquery again, and
    # the scene as a condition had PostgreSQL read the scene's index of every point in the district.
    alarming = [
        since
        for scene_id, since in SensorPoint.objects.filter(compound_id=compound_id)
        .order_by()
        .annotate(alarm_first_seen=Subquery(earliest))
        .values_list("scene_id", "alarm_first_seen")
        if scene_id == scene.id and since is not None
    ]
    points = len(alarming)
    if points < scene.cluster_points:
        return None
    first_seen = min(alarming)
    compound = Compound.objects.defer("boundary").filter(pk=compound_id).first()
    if compound is None:
        return None
    title = _("%(scene)s: %(n)s points alarming in %(compound)s") % {
        "scene": scene.name,
        "n": points,
        "compound": compound.name,
    }
    try:
        with transaction.atomic():
            return case_services.open_case_from_alarm(
                source_key=f"cluster:{scene.sensor_type}:compound:{compound_id}",
                category_code=scene.cluster_category_code or scene.case_category_code,
                severity=Severity.CRITICAL,
                title=title,
                description=title,
                lat=compound.centre_lat,
                lng=compound.centre_lng,
                grid_id=compound.grid_id,
                compound_id=compound_id,
                occurred_at=first_seen,
                emergency=True,
            )
    except Exception:
        logger.exception("cluster case for compound %s failed", compound_id)
        return None
