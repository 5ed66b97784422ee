"""process_inbox: inbox rows → readings → each scene's rule in the point's reading order → alarms.

A task claims its rows with the processed mark (a re-queued batch never runs twice), writes readings,
evaluates the rules and raises, updates or clears alarms, in one transaction.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .alarms import rules
from .alarms.cases import note_case_sensor_normal
from .alarms.changes import AlarmChanges
from .catalogue import DEVICE_FAULT_CATEGORY
from .db import InboxRow, ReadingRow, Row, bulk_update, claim_inbox, insert_readings, point_rows, scenes_by_id
from .ingest import dead_letter_rows
from .models import Alarm, Inbox, Scene, SensorPoint
from .mqtt.payloads import Reason

MAX_ATTEMPTS = 5  # a row failing this often becomes a dead letter (processing_failed)
POINT_STATE_FIELDS = [
    "last_seen_at",
    "offline_after",
    "battery",
    "battery_at",
    "last_reading_at",
    "last_value",
    "abnormal_since",
    "normal_since",
]


def process_inbox(*, ids: Sequence[int], redelivered: bool = False) -> int:
    """Process the still-unprocessed inbox rows among `ids`; returns how many this call processed.

    `redelivered`: the broker delivers this task again (its worker died). Then the attempt is counted
    in its own commit first, so rows that kill their worker every time end as dead letters instead of
    looping forever. A first delivery skips that write (one UPDATE per row less on the hot path); the
    sweeper counts the attempts of the rows it re-queues.
    """
    ids = sorted(set(ids))
    if not ids:
        return 0
    if redelivered:
        Inbox.objects.filter(id__in=ids, processed_at__isnull=True).update(attempts=F("attempts") + 1)
    with transaction.atomic():
        rows = claim_inbox(ids, timezone.now())
        if not rows:
            return 0
        poison = [row for row in rows if row.attempts >= MAX_ATTEMPTS]
        if poison:
            dead_letter_rows(poison, Reason.PROCESSING_FAILED, f"processing failed {MAX_ATTEMPTS} times")
            rows = [row for row in rows if row.attempts < MAX_ATTEMPTS]
        _Batch(rows, timezone.now()).run()
    return len(rows)


_POINT_NAMES = [field.attname for field in SensorPoint._meta.concrete_fields]
_STATE_READ = ["id", "scene_id", "acoustic_zone", "heartbeat_interval", "threshold", *POINT_STATE_FIELDS]
_STATE_AT = {name: n for n, name in enumerate(_STATE_READ)}


class PointState:
    """A locked point as process_inbox needs it: its rule and health state, without a model instance
    (building one cost ~10 µs a point, for every message). `model()` builds it for the few points whose
    alarms change (AlarmChanges and the alarm events take SensorPoint), from the whole row, read only
    then (_PointRows)."""

    __slots__ = ("_model", "_read", "_rows", "acoustic_zone", "heartbeat_interval", "id", "scene", "scene_id",
                 "threshold", *POINT_STATE_FIELDS)  # fmt: skip

    id: int
    scene_id: int
    scene: Scene
    acoustic_zone: str
    heartbeat_interval: int
    threshold: float | None
    last_seen_at: datetime | None
    offline_after: datetime | None
    battery: int | None
    battery_at: datetime | None
    last_reading_at: datetime | None
    last_value: float | None
    abnormal_since: datetime | None
    normal_since: datetime | None
    _model: SensorPoint | None
    _read: Row
    _rows: "_PointRows"

    def __init__(self, row: Row, scene: Scene, rows: "_PointRows") -> None:
        self._model, self.scene, self._rows, self._read = None, scene, rows, row
        for name, value in zip(_STATE_READ, row, strict=True):
            setattr(self, name, value)

    def model(self) -> SensorPoint:
        if self._model is None:
            self._model = SensorPoint.from_db(connection.alias, _POINT_NAMES, self._rows.row(self.id))
            self._model.scene = self.scene
        for name in POINT_STATE_FIELDS:
            setattr(self._model, name, getattr(self, name))
        return self._model

    def changed(self, name: str) -> bool:
        """Whether a state field differs from what was read."""
        differs: bool = getattr(self, name) != self._read[_STATE_AT[name]]
        return differs


class _PointRows:
    """The whole rows of one batch's points (locked by lock_point_states), read when a model is needed:
    a point at a time for the few whose alarms change, all the rest at once after a few (a storm)."""

    ONE_BY_ONE = 4

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.rows: dict[int, Row] = {}
        self.reads = 0

    def row(self, point_id: int) -> Row:
        if point_id not in self.rows:
            self.reads += 1
            wanted = (
                [point_id] if self.reads <= self.ONE_BY_ONE else [i for i in self.ids if i not in self.rows]
            )
            self.rows.update((row[0], row) for row in point_rows(wanted, _POINT_NAMES))
        return self.rows[point_id]


def lock_point_states(point_ids: Iterable[int]) -> dict[int, PointState]:
    """Lock points (id order, as changes.lock_points) and read their state."""
    rows = point_rows(sorted(set(point_ids)), _STATE_READ, lock=True)
    scenes = scenes_by_id({row[1] for row in rows})
    whole = _PointRows([row[0] for row in rows])
    return {row[0]: PointState(row, scenes[row[1]], whole) for row in rows}


class _Batch:
    def __init__(self, rows: list[InboxRow], now: datetime) -> None:
        self.rows = rows
        self.now = now
        self.readings: list[ReadingRow] = []
        self.normal_notes: list[tuple[int, datetime]] = []

    def run(self) -> None:
        by_point: dict[int, list[InboxRow]] = defaultdict(list)
        for row in self.rows:
            by_point[row.point_id].append(row)
        points = lock_point_states(by_point)
        self.alarms = AlarmChanges.for_points(self.now, points)
        missing = [row for point_id, rows in by_point.items() if point_id not in points for row in rows]
        for point_id, rows_of_point in by_point.items():
            if point_id in points:
                self._apply(points[point_id], sorted(rows_of_point, key=lambda r: (r.ts, r.id)))
        insert_readings(self.readings)
        # The fields no point of the batch changed are left out (their columns hold what was read, under
        # the lock): in steady state the abnormal and normal times, the battery, often the value.
        states = list(points.values())
        changed = [name for name in POINT_STATE_FIELDS if any(state.changed(name) for state in states)]
        if changed:
            bulk_update(states, changed, model=SensorPoint)
        self.alarms.save()
        for case_id, since in self.normal_notes:
            note_case_sensor_normal(case_id=case_id, normal_since=since)
        if missing:
            dead_letter_rows(missing, Reason.UNKNOWN_DEVICE, "the point was deleted before processing")

    def _apply(self, point: PointState, rows: list[InboxRow]) -> None:
        self._health(point, rows)
        scene = point.scene
        for row in rows:
            if row.value is None:  # heartbeat: seen, nothing to measure
                continue
            rule_applies = row.type == scene.sensor_type
            abnormal = rule_applies and rules.is_abnormal(scene, point, row.value, row.ts)
            self.readings.append(ReadingRow(point.id, row.ts, row.type, row.value, abnormal))
            if not rule_applies or (point.last_reading_at is not None and row.ts < point.last_reading_at):
                continue  # another type, or late: stored, but it does not move the rule's state back
            point.last_reading_at, point.last_value = row.ts, row.value
            alarm = self.alarms.active.get((point.id, row.type))
            if abnormal:
                point.normal_since = None
                if point.abnormal_since is None:
                    point.abnormal_since = row.ts
                if alarm is not None:
                    self.alarms.repeat(alarm, point.model(), ts=row.ts, value=row.value)
                elif rules.rule_met(point, scene, row.ts, self.readings):
                    self.alarms.raise_alarm(
                        point=point.model(),
                        type_=row.type,
                        scene=scene,
                        severity=scene.severity,
                        first_seen=point.abnormal_since,
                        last_seen=row.ts,
                        value=row.value,
                        category=scene.case_category_code,
                    )
            else:
                point.abnormal_since = None
                if point.normal_since is None:
                    point.normal_since = row.ts
                    if alarm is not None and alarm.case_id is not None:
                        self.normal_notes.append((alarm.case_id, row.ts))
                if alarm is not None and row.ts - point.normal_since >= timedelta(
                    seconds=scene.clear_after_seconds
                ):
                    self.alarms.clear(alarm, point.model(), reason=Alarm.ClearReason.RECOVERED)

    def _health(self, point: PointState, rows: list[InboxRow]) -> None:
        received = max(row.received_at for row in rows)
        if point.last_seen_at is None or received > point.last_seen_at:
            point.last_seen_at = received
            point.offline_after = rules.offline_after(received, point.heartbeat_interval)
        offline = self.alarms.active.get((point.id, Alarm.OFFLINE))
        if offline is not None:
            self.alarms.clear(offline, point.model(), reason=Alarm.ClearReason.RECOVERED)
        with_battery = [row for row in rows if row.battery is not None]
        if not with_battery:
            return
        latest = max(with_battery, key=lambda r: (r.ts, r.id))
        if point.battery_at is not None and latest.ts < point.battery_at:
            return  # late (a device's backlog, a resend): stored, but the battery does not go back in time
        battery = point.battery = int(latest.battery or 0)
        point.battery_at = latest.ts
        low = self.alarms.active.get((point.id, Alarm.LOW_BATTERY))
        if low is None and rules.battery_low(battery):
            self.alarms.raise_alarm(
                point=point.model(),
                type_=Alarm.LOW_BATTERY,
                scene=None,
                severity=rules.LOW_BATTERY_SEVERITY,
                first_seen=latest.ts,
                last_seen=latest.ts,
                value=float(battery),
                category=DEVICE_FAULT_CATEGORY,
            )
        elif low is not None and rules.battery_recovered(battery):
            self.alarms.clear(low, point.model(), reason=Alarm.ClearReason.RECOVERED)
