"""Periodic sweeps: inbox rows left behind, alarms still wanting a case, offline points, dwell reached
without a new reading, auto-clear after quiet normal readings; and retention."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from ..catalogue import DEVICE_FAULT_CATEGORY
from ..db import inbox_horizon, no_transaction_before
from ..ingest import dead_letter_rows, enqueue_inbox
from ..models import Alarm, Inbox, InboxSweepMark, Reading, Scene, SensorPoint
from ..mqtt.payloads import Reason
from ..processing import MAX_ATTEMPTS
from . import rules
from .changes import AlarmChanges, enqueue_alarm_cases, lock_points

SWEEP_AGE = timedelta(seconds=30)  # unprocessed rows older than this are re-queued
SWEEP_LIMIT = 50_000  # unprocessed rows one sweep reads at most


def sweep_inbox(*, now: datetime | None = None) -> dict[str, int]:
    """Re-queue inbox rows left behind (a worker killed, a lost task); dead-letter rows that keep failing.

    No index finds the unprocessed rows (models.Inbox: the processed mark must not touch one), so the
    sweeper reads the inbox by id from its mark (InboxSweepMark), up to the horizon of the sweep before:
    at most a sweep interval or two of rows, plus any backlog. Rows newer than that are younger than
    the sweep interval anyway. Only ids that no open transaction can still commit are passed.

    Also re-queues alarms whose case could not be opened yet (cases app failing, category missing).
    """
    now = now or timezone.now()
    result = {"requeued": 0, "dead_lettered": 0, "cases_requeued": 0}
    InboxSweepMark.objects.get_or_create(pk=1)
    requeue: list[int] = []
    with transaction.atomic():
        mark = InboxSweepMark.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if mark is not None:  # else another sweep holds it
            requeue, result["dead_lettered"] = _sweep_inbox_rows(mark, now)
    if requeue:
        enqueue_inbox(requeue)
    result["requeued"] = len(requeue)
    cases = list(
        Alarm.objects.filter(case_pending=True, raised_at__lt=now - timedelta(seconds=60))
        .order_by("id")
        .values_list("id", flat=True)[:50_000]
    )
    if cases:
        enqueue_alarm_cases(cases)
    result["cases_requeued"] = len(cases)
    return result


def _sweep_inbox_rows(mark: InboxSweepMark, now: datetime) -> tuple[list[int], int]:
    """(ids to re-queue, rows dead-lettered); moves the mark on."""
    settled = mark.horizon_at is not None and no_transaction_before(mark.horizon_at)
    unprocessed = list(
        Inbox.objects.filter(id__gt=mark.checked_through, id__lte=mark.horizon_id, processed_at__isnull=True)
        .order_by("id")
        .values_list("id", "received_at", "attempts")[:SWEEP_LIMIT]
    )
    stale = [
        (row_id, attempts) for row_id, received_at, attempts in unprocessed if received_at < now - SWEEP_AGE
    ]
    failing = [row_id for row_id, attempts in stale if attempts >= MAX_ATTEMPTS]
    requeue = [row_id for row_id, attempts in stale if attempts < MAX_ATTEMPTS]
    if failing:
        # A task may be processing one right now: those it holds are left to it.
        locked = list(
            Inbox.objects.select_for_update(skip_locked=True).filter(
                id__in=failing, processed_at__isnull=True
            )
        )
        dead_letter_rows(locked, Reason.PROCESSING_FAILED, f"processing failed {MAX_ATTEMPTS} times")
        Inbox.objects.filter(id__in=[row.id for row in locked]).update(processed_at=now)
        failing = [row.id for row in locked]
    if requeue:
        # Each re-queue is an attempt: what never gets processed ends as a dead letter.
        Inbox.objects.filter(id__in=requeue, processed_at__isnull=True).update(attempts=F("attempts") + 1)
    if settled or mark.horizon_at is None:
        if settled:
            done = set(failing)
            first = next((row_id for row_id, _, _ in unprocessed if row_id not in done), None)
            mark.checked_through = mark.horizon_id if first is None else first - 1
        mark.horizon_id, mark.horizon_at = inbox_horizon()
        mark.save()
    return requeue, len(failing)


def sweep_points(*, now: datetime | None = None, chunk: int = 1000) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"offline": 0, "dwell": 0, "cleared": 0}
    offline_ids = list(
        SensorPoint.objects.filter(status=SensorPoint.Status.ACTIVE, offline_after__lte=now)
        .filter(
            ~Exists(Alarm.objects.filter(point=OuterRef("pk"), type=Alarm.OFFLINE, cleared_at__isnull=True))
        )
        .values_list("id", flat=True)
    )
    for start in range(0, len(offline_ids), chunk):
        counts["offline"] += _raise_offline(offline_ids[start : start + chunk], now)
    for scene in Scene.objects.filter(enabled=True, retired_at__isnull=True, dwell_seconds__gt=0):
        ids = list(
            SensorPoint.objects.filter(
                scene=scene, abnormal_since__lte=now - timedelta(seconds=scene.dwell_seconds)
            )
            .filter(
                ~Exists(
                    Alarm.objects.filter(
                        point=OuterRef("pk"), type=scene.sensor_type, cleared_at__isnull=True
                    )
                )
            )
            .values_list("id", flat=True)
        )
        for start in range(0, len(ids), chunk):
            counts["dwell"] += _raise_dwelled(ids[start : start + chunk], now)
    for scene in Scene.objects.all():
        ids = list(
            Alarm.objects.filter(
                scene=scene,
                type=scene.sensor_type,
                cleared_at__isnull=True,
                point__normal_since__lte=now - timedelta(seconds=scene.clear_after_seconds),
            ).values_list("point_id", flat=True)
        )
        for start in range(0, len(ids), chunk):
            counts["cleared"] += _clear_recovered(ids[start : start + chunk], scene, now)
    return counts


def _raise_offline(point_ids: Sequence[int], now: datetime) -> int:
    with transaction.atomic():
        points = lock_points(point_ids, skip_locked=True)  # a locked point is receiving: not offline
        alarms = AlarmChanges.for_points(now, points)
        for point in points.values():
            if point.offline_after is None or point.offline_after > now:
                continue
            if (point.id, Alarm.OFFLINE) in alarms.active:
                continue
            alarms.raise_alarm(
                point=point,
                type_=Alarm.OFFLINE,
                scene=None,
                severity=rules.OFFLINE_SEVERITY,
                first_seen=point.offline_after,
                last_seen=now,
                value=None,
                category=DEVICE_FAULT_CATEGORY,
            )
        alarms.save()
        return len(alarms.new)


def _raise_dwelled(point_ids: Sequence[int], now: datetime) -> int:
    with transaction.atomic():
        points = lock_points(point_ids, skip_locked=True)
        alarms = AlarmChanges.for_points(now, points)
        for point in points.values():
            scene = point.scene
            if point.abnormal_since is None or (point.id, scene.sensor_type) in alarms.active:
                continue
            if not rules.scene_active(scene, timezone.localtime(now)) or not rules.rule_met(
                point, scene, now
            ):
                continue
            alarms.raise_alarm(
                point=point,
                type_=scene.sensor_type,
                scene=scene,
                severity=scene.severity,
                first_seen=point.abnormal_since,
                last_seen=max(point.last_reading_at or now, point.abnormal_since),
                value=point.last_value,
                category=scene.case_category_code,
            )
        alarms.save()
        return len(alarms.new)


def _clear_recovered(point_ids: Sequence[int], scene: Scene, now: datetime) -> int:
    with transaction.atomic():
        points = lock_points(point_ids, skip_locked=True)
        alarms = AlarmChanges.for_points(now, points)
        cleared = 0
        for point in points.values():
            alarm = alarms.active.get((point.id, scene.sensor_type))
            if alarm is None or point.normal_since is None:
                continue
            if point.normal_since <= now - timedelta(seconds=scene.clear_after_seconds):
                alarms.clear(alarm, point, reason=Alarm.ClearReason.RECOVERED)
                cleared += 1
        alarms.save()
        return cleared


def purge_old_rows(*, now: datetime | None = None, batch: int = 10_000) -> dict[str, int]:
    """Retention: readings older than READINGS_RETENTION_DAYS, processed inbox rows older than
    INBOX_RETENTION_DAYS (the dedup window: a device retrying after that is stored again)."""
    now = now or timezone.now()
    reading_days = settings.READINGS_RETENTION_DAYS
    inbox_days = settings.INBOX_RETENTION_DAYS
    counts = {"readings": 0, "inbox": 0}
    for key, queryset in (
        ("readings", Reading.objects.filter(ts__lt=now - timedelta(days=reading_days))),
        ("inbox", Inbox.objects.filter(processed_at__lt=now - timedelta(days=inbox_days))),
    ):
        while True:
            ids = list(queryset.values_list("id", flat=True)[:batch])
            if not ids:
                break
            counts[key] += queryset.model.objects.filter(id__in=ids).delete()[0]
    return counts
