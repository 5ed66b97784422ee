"""Alarm changes: raises, repeats and clears collected in a transaction, written in bulk, broadcast after
commit, and their cases enqueued.

Locking rule: alarm rows are written only while holding their point's row lock (FOR NO KEY UPDATE,
taken in point id order), so the partial unique index "one active alarm per point and type" is never
raced and a manual clear never loses to a concurrent repeat.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from command_center.realtime import broadcast_many_on_commit, broadcast_on_commit
from grids.models import Compound, Grid

from ..db import active_alarms, among, bulk_insert, bulk_update, scenes_by_id
from ..models import Alarm, Scene, SensorPoint
from ..queueing import OPEN_ALARM_CASES, delay_in_chunks
from . import rules

ALARM_UPDATE_FIELDS = [
    "count",
    "last_seen",
    "last_value",
    "cleared_at",
    "cleared_by",
    "clear_reason",
    "case_pending",
    "version",
    "acknowledged_at",
    "acknowledged_by",
    "false_alarm",
]


def _health_title(alarm_type: str) -> str:
    return {Alarm.OFFLINE: _("Sensor offline"), Alarm.LOW_BATTERY: _("Low battery")}.get(
        alarm_type, alarm_type
    )


def alarm_title(alarm: Alarm, point: SensorPoint) -> str:
    name = point.scene.name if alarm.scene_id is not None else _health_title(alarm.type)
    return f"{name} {point.code}"


def place_name(point: SensorPoint) -> str:
    if point.compound is not None:
        return point.compound.name
    return point.grid.name if point.grid is not None else ""


def alarm_event_data(alarm: Alarm, point: SensorPoint) -> dict[str, Any]:
    return {
        "title": alarm_title(alarm, point),
        "severity": alarm.severity,
        "status": alarm.status,
        "lat": point.lat,
        "lng": point.lng,
        "place": place_name(point),
        "sensor_point": point.code,
        "scene": point.scene.code if alarm.scene_id is not None else None,
        "type": alarm.type,
        "count": alarm.count,
        "flapping": alarm.flapping,
        "false_alarm": alarm.false_alarm,
        "case_id": alarm.case_id,
        "last_seen": alarm.last_seen.isoformat(),
    }


def alarm_event(event: str, alarm: Alarm, point: SensorPoint) -> dict[str, Any]:
    """broadcast_on_commit's arguments for an event about this alarm."""
    return {
        "event": event,
        "kind": "alarm",
        "obj_id": alarm.pk,
        "version": alarm.version,
        "grid_id": point.grid_id,
        "data": alarm_event_data(alarm, point),
    }


def broadcast_alarm(event: str, alarm: Alarm, point: SensorPoint) -> None:
    broadcast_on_commit(**alarm_event(event, alarm, point))


def enqueue_alarm_cases(alarm_ids: Sequence[int]) -> None:
    delay_in_chunks(OPEN_ALARM_CASES, alarm_ids)


class AlarmChanges:
    """Alarm raises, repeats and clears of one transaction, written in bulk by `save()`.

    The caller holds the row locks of every point it passes in.
    """

    def __init__(self, now: datetime, active: dict[tuple[int, str], Alarm]) -> None:
        self.now = now
        self.active = active
        self.new: list[Alarm] = []
        self.changed: dict[int, Alarm] = {}
        self.points: dict[int, SensorPoint] = {}
        self.cleared: set[int] = set()  # id() of alarms cleared here

    @classmethod
    def for_points(cls, now: datetime, point_ids: Iterable[int]) -> "AlarmChanges":
        return cls(now, {(a.point_id, a.type): a for a in active_alarms(point_ids)})

    def raise_alarm(
        self,
        *,
        point: SensorPoint,
        type_: str,
        scene: Scene | None,
        severity: str,
        first_seen: datetime,
        last_seen: datetime,
        value: float | None,
        category: str,
    ) -> Alarm:
        alarm = Alarm(
            point=point,
            scene=scene,
            type=type_,
            severity=severity,
            count=1,
            first_seen=min(first_seen, last_seen),
            last_seen=last_seen,
            last_value=value,
            raised_at=self.now,
            case_pending=bool(category),
        )
        self.active[(point.id, type_)] = alarm
        self.new.append(alarm)
        self.points[point.id] = point
        return alarm

    def repeat(self, alarm: Alarm, point: SensorPoint, *, ts: datetime, value: float | None) -> None:
        alarm.count += 1
        alarm.last_seen = max(alarm.last_seen, ts)
        alarm.last_value = value
        if alarm.scene_id is not None and point.scene.case_category_code and not alarm.flapping:
            alarm.case_pending = True  # the case counts the repeat
        self.touch(alarm, point)

    def clear(self, alarm: Alarm, point: SensorPoint, *, reason: str, user: User | None = None) -> None:
        alarm.cleared_at = self.now
        alarm.clear_reason = reason
        alarm.cleared_by = user
        self.active.pop((alarm.point_id, alarm.type), None)
        self.cleared.add(id(alarm))
        self.touch(alarm, point)

    def touch(self, alarm: Alarm, point: SensorPoint) -> None:
        self.points[point.id] = point
        if alarm.pk is not None:
            self.changed[alarm.pk] = alarm

    def save(self) -> None:
        if self.new:
            self._mark_flapping()
            bulk_insert(self.new)
        for alarm in self.changed.values():
            alarm.version += 1
        if self.changed:
            bulk_update(list(self.changed.values()), ALARM_UPDATE_FIELDS)
        if self.new or self.changed:
            attach_places(self.points.values())
        events = [alarm_event("alarm.raised", alarm, self.points[alarm.point_id]) for alarm in self.new]
        for alarm in self.changed.values():
            event = "alarm.cleared" if id(alarm) in self.cleared else "alarm.updated"
            events.append(alarm_event(event, alarm, self.points[alarm.point_id]))
        # One send after commit for the whole batch: hundreds of events in a storm.
        broadcast_many_on_commit(events)
        pending = [a.pk for a in [*self.new, *self.changed.values()] if a.case_pending]
        if pending:
            transaction.on_commit(lambda: enqueue_alarm_cases(pending))

    def _mark_flapping(self) -> None:
        since = self.now - rules.FLAPPING_WINDOW
        pairs = {(alarm.point_id, alarm.type) for alarm in self.new}
        changes: dict[tuple[int, str], int] = defaultdict(int)
        recent = (
            Alarm.objects.filter(point_id__in={point_id for point_id, _ in pairs})
            .filter(Q(raised_at__gte=since) | Q(cleared_at__gte=since))
            .values_list("point_id", "type", "raised_at", "cleared_at")
        )
        for point_id, type_, raised_at, cleared_at in recent:
            if (point_id, type_) in pairs:
                changes[(point_id, type_)] += (raised_at >= since) + (
                    cleared_at is not None and cleared_at >= since
                )
        for alarm in self.changed.values():  # cleared in this transaction, not written yet
            if id(alarm) in self.cleared:
                changes[(alarm.point_id, alarm.type)] += 1
        for alarm in self.new:
            if rules.flapping(changes[(alarm.point_id, alarm.type)]):
                alarm.flapping = True
                alarm.case_pending = False  # notifications suppressed while it flaps


def lock_points(point_ids: Iterable[int], *, skip_locked: bool = False) -> dict[int, SensorPoint]:
    """Lock points (id order, no deadlocks between workers) with their scene loaded; compound and grid
    are loaded by `attach_places` when an event needs their names. For sweeps and single-alarm actions
    (ingest locks with processing.lock_point_states)."""
    queryset = (
        SensorPoint.objects.select_for_update(no_key=True, skip_locked=skip_locked)
        .filter(among(SensorPoint, sorted(set(point_ids))))
        .order_by("id")
    )
    points = {point.id: point for point in queryset}
    scenes = scenes_by_id({point.scene_id for point in points.values()})
    for point in points.values():
        point.scene = scenes[point.scene_id]
    return points


def attach_places(points: Iterable[SensorPoint]) -> None:
    """Load the compounds and grids of these points in two queries (for titles and place names: other
    fields are deferred)."""
    points = [p for p in points if not {"compound", "grid"} <= p._state.fields_cache.keys()]
    if not points:
        return
    # Names only: decoding the boundaries (GeoJSON) of 100 compounds cost 30 ms per batch in a storm.
    compounds = Compound.objects.only("id", "name", "grid_id").in_bulk(
        {p.compound_id for p in points if p.compound_id is not None}
    )
    grids = Grid.objects.only("id", "name", "code").in_bulk(
        {p.grid_id for p in points if p.grid_id is not None}
    )
    for point in points:
        if point.compound_id is not None and point.compound_id in compounds:
            point.compound = compounds[point.compound_id]
        if point.grid_id is not None and point.grid_id in grids:
            point.grid = grids[point.grid_id]
