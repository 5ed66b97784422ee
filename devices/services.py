"""Writes of the devices app: ingest, rules → alarms → cases, alarm actions, health sweeps.

Ingest (DESIGN.md): `ingest_messages` parses a listener batch, stores valid messages once in the
inbox (PostgreSQL: one INSERT, again with ON CONFLICT DO NOTHING if a message was stored before) and
bad ones as dead letters, in ONE transaction; the listener sends PUBACKs only after it returns. After
commit it enqueues `process_inbox` with the new ids (≥ 50 per task under load). `process_inbox` claims
its rows with the processed mark (a re-queued batch never runs twice), writes readings, evaluates each
scene's rule in the point's reading order and raises/updates/clears alarms, in one transaction.

Locking rule: alarm rows are written only while holding their point's row lock (FOR NO KEY UPDATE,
taken in point id order), so the partial unique index "one active alarm per point and type" is never
raced and a manual clear never loses to a concurrent repeat.
"""

import contextlib
import importlib
import inspect
import io
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dt_time
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache, caches
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, Exists, F, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2.errors import UniqueViolation

from command_center import stamps
from command_center.cache import ReusedClientRedisCache
from command_center.models import User
from command_center.realtime import broadcast_many_on_commit, broadcast_on_commit
from grids.models import Compound, Grid

from . import rules
from .catalogue import DEVICE_FAULT_CATEGORY
from .models import Alarm, DeadLetter, Inbox, InboxSweepMark, Reading, Scene, SensorPoint, Severity
from .mqtt.payloads import DEVICE_CODE_RE, Message, PayloadError, Reason, parse_message

logger = logging.getLogger(__name__)

PROCESS_CHUNK = 500  # inbox ids per process_inbox task
MAX_ATTEMPTS = 5  # a row failing this often becomes a dead letter (processing_failed)
SWEEP_AGE = timedelta(seconds=30)  # unprocessed rows older than this are re-queued
SWEEP_LIMIT = 50_000  # unprocessed rows one sweep reads at most
OFFLINE_HEARTBEATS = 3
LOW_BATTERY = 20  # percent: below raises "low battery"
LOW_BATTERY_CLEAR = 25  # percent: at or above clears it (hysteresis, so 19/20/19 does not flap)
FLAPPING_WINDOW = timedelta(minutes=30)
FLAPPING_CHANGES = 2  # more state changes than this in the window: flapping
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})  # COPY text format
RATE_KEY = "devices:ingest:rate:{second}"
CLUSTER_KEY = "devices:cluster:{scene}:{compound}"
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


class AlarmStateError(Exception):
    """The alarm's state does not allow the action (e.g. acknowledging a cleared alarm)."""


# --------------------------------------------------------------------------------------------------
# Ingest: listener batch → inbox / dead letters


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    received_at: datetime


@dataclass
class IngestResult:
    stored: list[int] = field(default_factory=list)  # new inbox ids
    duplicates: int = 0
    dead_letters: int = 0


_catalogue_cache: tuple[float, frozenset[str]] = (0.0, frozenset())


def catalogue_types() -> frozenset[str]:
    """Sensor types of the scene catalogue (new types come from data), cached for 30 s per process."""
    global _catalogue_cache
    loaded_at, types = _catalogue_cache
    if time.monotonic() - loaded_at > 30:
        types = frozenset(Scene.objects.filter(retired_at__isnull=True).values_list("sensor_type", flat=True))
        _catalogue_cache = (time.monotonic(), types)
    return types


def _dead(item: Received, reason: Reason, detail: str, device_code: str = "") -> DeadLetter:
    return DeadLetter.of(
        reason=reason.value,
        detail=detail[:300],
        topic=item.topic.replace("\x00", "\\0"),
        device_code=device_code[:64],
        payload=bytes(item.payload),
        received_at=item.received_at,
    )


def ingest_messages(*, messages: Sequence[Received], enqueue: bool = True) -> IngestResult:
    """Store one listener batch: valid messages once in the inbox, bad ones as dead letters.

    Everything is committed when this returns, so the caller may PUBACK every message of the batch.
    """
    now = timezone.now()
    types = catalogue_types()
    parsed: list[tuple[Received, Message]] = []
    dead: list[DeadLetter] = []
    for item in messages:
        try:
            parsed.append((item, parse_message(item.topic, item.payload, now=now, catalogue_types=types)))
        except PayloadError as exc:
            dead.append(_dead(item, exc.reason, exc.detail, _topic_code(item.topic)))

    points = _points_by_code({m.device_code for _, m in parsed}) if parsed else {}
    rows: dict[tuple[str, str], tuple] = {}
    for item, message in parsed:
        point_id, status = points.get(message.device_code, (None, ""))
        if point_id is None:
            dead.append(
                _dead(item, Reason.UNKNOWN_DEVICE, "no sensor point has this code", message.device_code)
            )
        elif status != SensorPoint.Status.ACTIVE:
            dead.append(_dead(item, Reason.INACTIVE_DEVICE, f"the point is {status}", message.device_code))
        else:
            key = (message.device_code, message.msg_id)
            rows.setdefault(
                key,
                (*key, point_id, message.ts, message.type, message.value, message.battery, item.received_at),
            )

    result = IngestResult(dead_letters=len(dead))
    new_rows = list(rows.values())
    try:
        result.stored = _store_batch(new_rows, dead, enqueue=enqueue, skip_stored=False)
    except IntegrityError as exc:
        if not isinstance(exc.__cause__, UniqueViolation):
            raise
        # A message of the batch is in the inbox already (a redelivery, a device's resend): the plain
        # INSERT refused the whole batch, so again, skipping the stored ones.
        result.stored = _store_batch(new_rows, dead, enqueue=enqueue, skip_stored=True)
    result.duplicates = len(messages) - len(dead) - len(result.stored)
    _count_received(len(messages))
    return result


def _store_batch(rows: list[tuple], dead: list[DeadLetter], *, enqueue: bool, skip_stored: bool) -> list[int]:
    with transaction.atomic():
        stored = _insert_inbox(rows, skip_stored=skip_stored)
        if dead:
            DeadLetter.objects.bulk_create(dead)
        if enqueue and stored:
            transaction.on_commit(lambda: enqueue_inbox(stored))
    return stored


def _points_by_code(codes: set[str]) -> dict[str, tuple[int, str]]:
    """code → (id, status) of the points among `codes`. Fixed SQL on PostgreSQL: compiling the ORM's
    query cost the listener more than PostgreSQL took to run it, for every batch."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            sql = "SELECT code, id, status FROM devices_sensorpoint WHERE code = ANY(%s::text[])"
            cursor.execute(sql, [text_array(codes)])
            rows = cursor.fetchall()
    else:
        rows = list(SensorPoint.objects.filter(code__in=codes).values_list("code", "id", "status"))
    return {code: (point_id, status) for code, point_id, status in rows}


def dead_letter_raw(item: Received, *, detail: str) -> None:
    """Keep a message that could not be stored normally (the listener's last resort)."""
    _dead(item, Reason.PROCESSING_FAILED, detail, _topic_code(item.topic)).save()


def _topic_code(topic: str) -> str:
    """The device a dead letter's topic names: sensors/<code>/data, or another topic of a device's own
    (sensors/<code>/status), so its dead letters are found by its code; else ""."""
    levels = topic.split("/")
    if len(levels) >= 3 and levels[0] == "sensors" and DEVICE_CODE_RE.match(levels[1]):
        return levels[1]
    return ""


# One array literal per column (int_array and the others), where execute_values formatted each row in
# Python (~20 µs a message in the listener) and psycopg2's list adaptation ~4.
_INSERT_INBOX = (
    "INSERT INTO devices_inbox (device_code, msg_id, point_id, ts, type, value, battery, received_at,"
    " attempts) SELECT c, m, p, to_timestamp(t), k, v, b, to_timestamp(r), 0 FROM unnest(%s::text[],"
    " %s::text[], %s::bigint[], %s::float8[], %s::text[], %s::float8[], %s::int[], %s::float8[])"
    " AS u(c, m, p, t, k, v, b, r)"
)


def _insert_inbox(rows: list[tuple], *, skip_stored: bool) -> list[int]:
    """Insert (device_code, msg_id, point_id, ts, type, value, battery, received_at); new ids only.

    With `skip_stored` false, a message already in the inbox fails the whole INSERT (UniqueViolation)
    instead of being skipped. That is the listener's first try for a batch: ON CONFLICT DO NOTHING makes
    PostgreSQL insert each row speculatively, a lookup and a second WAL record a row (a third of the
    INSERT's time), for the duplicates that come only after a reconnect or a device's resend."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        conflict = " ON CONFLICT (device_code, msg_id) DO NOTHING" if skip_stored else ""
        sql = f"{_INSERT_INBOX}{conflict} RETURNING id"
        codes, msg_ids, point_ids, ts, types, values, batteries, received = zip(*rows, strict=True)
        columns = [
            *(text_array(codes), text_array(msg_ids), int_array(point_ids), epoch_array(ts)),
            *(text_array(types), float_array(values), int_array(batteries), epoch_array(received)),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, columns)
            return [row[0] for row in cursor.fetchall()]
    # Elsewhere (SQLite, standalone): insert-or-ignore, then read back the ids of the rows just added.
    objs = [
        Inbox(device_code=r[0], msg_id=r[1], point_id=r[2], ts=r[3], type=r[4], value=r[5], battery=r[6],
              received_at=r[7])
        for r in rows
    ]  # fmt: skip
    before = Inbox.objects.order_by("-id").values_list("id", flat=True).first() or 0
    Inbox.objects.bulk_create(objs, ignore_conflicts=True)
    return list(Inbox.objects.filter(id__gt=before, processed_at__isnull=True).values_list("id", flat=True))


def enqueue_inbox(ids: Sequence[int]) -> None:
    from .tasks import process_inbox

    if ids and stamps.enabled():
        stamps.stamp("inbox_committed", min(ids), max(ids))  # runs on commit; benchmarks only
    for start in range(0, len(ids), PROCESS_CHUNK):
        process_inbox.delay(list(ids[start : start + PROCESS_CHUNK]))


def _count_received(n: int) -> None:
    """Per-second counters in the cache (Redis in the district profile) for the screen's rate."""
    if n <= 0:
        return
    key = RATE_KEY.format(second=int(time.time()))
    try:
        backend = caches["default"]
        if isinstance(backend, ReusedClientRedisCache):
            # One round trip, where the cache API's add + incr take three. The key and the plain integer
            # value are the cache's own, so cache.get_many() reads them.
            full_key = backend.make_and_validate_key(key)
            pipeline = backend.client().pipeline(transaction=False)
            pipeline.incrby(full_key, n)
            pipeline.expire(full_key, 120)
            pipeline.execute()
        else:
            cache.add(key, 0, timeout=120)
            cache.incr(key, n)
    except Exception:  # a counter must never fail ingest
        logger.debug("rate counter update failed", exc_info=True)


# --------------------------------------------------------------------------------------------------
# Alarm changes: collected while processing, written in bulk


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
        alarms: Iterable[Alarm]
        if connection.vendor == "postgresql":  # fixed SQL: see _claim_inbox
            sql = "SELECT * FROM devices_alarm WHERE point_id = ANY(%s::bigint[]) AND cleared_at IS NULL"
            alarms = Alarm.objects.raw(sql, [int_array(point_ids)])
        else:
            alarms = Alarm.objects.filter(point_id__in=list(point_ids), cleared_at__isnull=True)
        return cls(now, {(a.point_id, a.type): a for a in alarms})

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
        """More than 2 state changes (raise or clear) of one point and type in 30 minutes: flapping."""
        since = self.now - FLAPPING_WINDOW
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
            if changes[(alarm.point_id, alarm.type)] + 1 > FLAPPING_CHANGES:
                alarm.flapping = True
                alarm.case_pending = False  # notifications suppressed while it flaps


def enqueue_alarm_cases(alarm_ids: Sequence[int]) -> None:
    from .tasks import open_alarm_cases

    for start in range(0, len(alarm_ids), PROCESS_CHUNK):
        open_alarm_cases.delay(list(alarm_ids[start : start + PROCESS_CHUNK]))  # on the cases queue


# --------------------------------------------------------------------------------------------------
# process_inbox: inbox rows → readings → rules → alarms


class InboxRow(NamedTuple):
    id: int
    device_code: str
    msg_id: str
    point_id: int
    ts: datetime
    type: str
    value: float | None
    battery: int | None
    received_at: datetime
    attempts: int


class ReadingRow(NamedTuple):
    point_id: int
    ts: datetime
    type: str
    value: float
    abnormal: bool


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
        rows = [InboxRow(*values) for values in _claim_inbox(ids, timezone.now())]
        if not rows:
            return 0
        poison = [row for row in rows if row.attempts >= MAX_ATTEMPTS]
        if poison:
            _dead_letter_rows(poison, Reason.PROCESSING_FAILED, f"processing failed {MAX_ATTEMPTS} times")
            rows = [row for row in rows if row.attempts < MAX_ATTEMPTS]
        _Batch(rows, timezone.now()).run()
    return len(rows)


# The hot path's queries as fixed SQL on PostgreSQL: Django compiled each of them for every task, at a
# cost of ~0.3 ms of Python apiece, more than PostgreSQL took to run them. Elsewhere (SQLite) the ORM.
#
# A task claims its rows with the processed mark itself: one UPDATE locks the rows among its ids that are
# still unprocessed, marks them and returns them. (A SELECT ... FOR UPDATE and then the mark wrote each
# row twice, a lock record and a new version.) The mark commits with the batch's readings and alarms, or
# not at all. Tasks share rows only after a redelivery or a sweep: the later one waits for the rows the
# other holds, then skips those it committed. By primary key (the inbox has no index on processed_at).
_CLAIM_INBOX = (
    "UPDATE devices_inbox SET processed_at = %s WHERE id = ANY(%s::bigint[]) AND processed_at IS NULL"  # noqa: S608
    f" RETURNING {', '.join(InboxRow._fields)}"
)


def _claim_inbox(ids: list[int], at: datetime) -> list[tuple]:
    """InboxRow's fields of the rows among `ids` not yet processed, now marked processed at `at`."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_INBOX, [at, int_array(ids)])
            return cursor.fetchall()
    # SQLite (standalone): one writer at a time, so reading and then marking claims the rows as well.
    rows = list(Inbox.objects.filter(id__in=ids, processed_at__isnull=True).values_list(*InboxRow._fields))
    Inbox.objects.filter(id__in=[row[0] for row in rows]).update(processed_at=at)
    return rows


def epoch_array(values: Iterable[datetime | None]) -> str:
    """Aware datetimes as one `float8[]` literal of Unix seconds, for `to_timestamp()` in the SQL.

    psycopg2 adapts an aware datetime in ~1.5 µs; its isoformat takes 0.8 and PostgreSQL 0.8 more to
    parse it, where `repr(value.timestamp())` takes 0.6 and `to_timestamp(float8)` 0.5: thousands of
    timestamps a second on the ingest path (the inbox's two a message, the points' four or five). Exact
    to the microsecond: a double holds Unix seconds of this era to 0.24 µs and `to_timestamp` rounds to
    the microsecond (tests/devices/test_ingest_service.py compares 1990-2070 round trips).
    """
    return (
        "{" + ",".join("NULL" if value is None else repr(_aware(value).timestamp()) for value in values) + "}"
    )


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:  # .timestamp() would read it in the process's time zone, silently
        raise ValueError(f"a naive datetime for a timestamptz column: {value!r}")
    return value


# Array literals for the ingest path's parameters, each cast in its SQL (`%s::bigint[]`): psycopg2 adapts
# a list element by element through its adapter objects, 0.86 µs an integer, 1.33 a float and 0.64 a
# string, against 0.12, 0.44 and 0.16 for these; a batch of 500 messages passes ~15 lists of 500.
# Checked against psycopg2's own adaptation in tests/devices/test_ingest_service.py.


def int_array(values: Iterable[int | None]) -> str:
    """Integers (ids, percentages) as one `bigint[]` or `int[]` literal."""
    return "{" + ",".join("NULL" if value is None else str(int(value)) for value in values) + "}"


def float_array(values: Iterable[float | None]) -> str:
    """Numbers as one `float8[]` literal (repr: the shortest text that reads back the same double)."""
    return "{" + ",".join("NULL" if value is None else repr(float(value)) for value in values) + "}"


def text_array(values: Iterable[str | None]) -> str:
    """Strings as one `text[]` literal: each quoted, its backslashes and double quotes escaped."""
    return (
        "{"
        + ",".join(
            "NULL" if value is None else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
            for value in values
        )
        + "}"
    )


def bulk_update(objs: Sequence[Any], fields: Sequence[str], *, model: type[Any] | None = None) -> None:
    """UPDATE many rows, each with its own values (scalar fields), from model instances or other objects
    with the key and the fields as attributes (give the `model` then). On PostgreSQL one `UPDATE ... FROM
    unnest(<one array per column>)`: Django's bulk_update builds a CASE per field and row, which costs
    seconds of Python per 500 rows, and a VALUES list formats every row in Python; psycopg2 adapts a
    list in C."""
    if not objs:
        return
    model = model or type(objs[0])
    if connection.vendor != "postgresql":
        if not isinstance(objs[0], model):  # other objects with the key and the fields as attributes
            names = [model._meta.pk.attname, *fields]
            objs = [model(**{name: getattr(obj, name) for name in names}) for obj in objs]
        model.objects.bulk_update(objs, fields, batch_size=500)
        return
    meta = model._meta
    pk = meta.pk
    columns = [pk, *(meta.get_field(name) for name in fields)]
    # Datetimes go as Unix seconds (epoch_array) and come back through to_timestamp().
    stamped = [column.get_internal_type() == "DateTimeField" for column in columns]
    arrays = ", ".join(
        "%s::float8[]" if is_stamp else f"%s::{column.cast_db_type(connection)}[]"
        for column, is_stamp in zip(columns, stamped, strict=True)
    )
    names = [f'"{column.column}"' for column in columns]
    assignments = ", ".join(
        f"{name} = to_timestamp(v.{name})" if is_stamp else f"{name} = v.{name}"
        for name, is_stamp in zip(names[1:], stamped[1:], strict=True)
    )
    sql = (
        f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM unnest({arrays}) AS v({", ".join(names)})'  # noqa: S608
        f" WHERE t.{names[0]} = v.{names[0]}"
    )
    # Numbers, ids and strings as array literals (int_array); other values (dates, booleans) psycopg2
    # adapts. The casts type the literals and the NULLs.
    values: list[Any] = []
    for column in columns:
        column_values = [getattr(obj, column.attname) for obj in objs]
        literal = _ARRAY_LITERALS.get(
            (column.target_field if column.is_relation else column).get_internal_type()
        )
        values.append(literal(column_values) if literal is not None else column_values)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


_INTEGER_FIELDS = [
    *("AutoField", "BigAutoField", "SmallAutoField"),
    *("IntegerField", "BigIntegerField", "SmallIntegerField"),
    *("PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField"),
]
_ARRAY_LITERALS: dict[str, Callable[[list[Any]], str]] = {
    "DateTimeField": epoch_array,
    **dict.fromkeys(_INTEGER_FIELDS, int_array),
    "FloatField": float_array,
    "CharField": text_array,
    "TextField": text_array,
}


def bulk_insert(objs: Sequence[Any]) -> None:
    """INSERT new rows and set their ids. On PostgreSQL one execute_values: Django's bulk_create spends
    a third of a second of Python on 500 alarms, which adds up in a storm."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    from psycopg2.extras import execute_values

    meta = model._meta
    columns = [field for field in meta.concrete_fields if not field.primary_key]
    template = "(" + ", ".join(f"%s::{column.cast_db_type(connection)}" for column in columns) + ")"
    names = ", ".join(f'"{column.column}"' for column in columns)
    rows = [tuple(getattr(obj, column.attname) for column in columns) for obj in objs]
    sql = f'INSERT INTO "{meta.db_table}" ({names}) VALUES %s RETURNING "{meta.pk.column}"'  # noqa: S608
    with connection.cursor() as cursor:
        ids = execute_values(cursor.cursor, sql, rows, template=template, page_size=len(rows), fetch=True)
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def among(model: type[Any], ids: Iterable[Any], field: str = "id") -> Any:
    """A filter `field IN ids` (ids or codes). On PostgreSQL one array parameter (`= ANY(%s)`): Django
    prepares and binds each of 500 ids on its own, about a millisecond per query on the ingest path."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": list(ids)})
    column = f'"{model._meta.db_table}"."{model._meta.get_field(field).column}"'
    # The column comes from the model, the values go as a parameter.
    return RawSQL(f"{column} = ANY(%s)", (list(ids),), output_field=BooleanField())  # noqa: S611


def lock_points(point_ids: Iterable[int], *, skip_locked: bool = False) -> dict[int, SensorPoint]:
    """Lock points (id order, no deadlocks between workers) with their scene loaded; compound and grid
    are loaded by `attach_places` when an event needs their names."""
    # Sweeps and single-alarm actions, off the ingest hot path (that one is lock_point_states).
    queryset = (
        SensorPoint.objects.select_for_update(no_key=True, skip_locked=skip_locked)
        .filter(among(SensorPoint, sorted(set(point_ids))))
        .order_by("id")
    )
    points = {point.id: point for point in queryset}
    scenes = _scenes({point.scene_id for point in points.values()})
    for point in points.values():
        point.scene = scenes[point.scene_id]
    return points


def _scenes(ids: set[int]) -> dict[int, Scene]:
    if connection.vendor == "postgresql":  # fixed SQL: see _claim_inbox
        return {
            scene.id: scene
            for scene in Scene.objects.raw("SELECT * FROM devices_scene WHERE id = ANY(%s)", [list(ids)])
        }
    return Scene.objects.in_bulk(ids)


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


def _columns(model: type[Any], names: Sequence[str]) -> str:
    return ", ".join(f'"{model._meta.get_field(name).column}"' for name in names)


_POINT_NAMES = [field.attname for field in SensorPoint._meta.concrete_fields]
_STATE_READ = ["id", "scene_id", "acoustic_zone", "heartbeat_interval", "threshold", *POINT_STATE_FIELDS]
_STATE_AT = {name: n for n, name in enumerate(_STATE_READ)}
_LOCK_POINT_STATES = (
    f"SELECT {_columns(SensorPoint, _STATE_READ)} FROM devices_sensorpoint WHERE id = ANY(%s::bigint[])"  # noqa: S608
    " ORDER BY id"
    " FOR NO KEY UPDATE"
)


class PointState:
    """A locked point as process_inbox needs it: its rule and health state, without a model instance
    (building one cost ~10 µs a point, for every message). `model()` builds it for the few points whose
    alarms change (AlarmChanges and the alarm events take SensorPoint), from the whole row, read only
    then (_PointRows): reading every point's whole row up front cost the worker 2.6 µs and PostgreSQL
    1 µs more a point (docs/performance.md, 2026-12-06)."""

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
    _read: tuple
    _rows: "_PointRows"

    def __init__(self, row: tuple, scene: Scene, rows: "_PointRows") -> None:
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
        return getattr(self, name) != self._read[_STATE_AT[name]]


class _PointRows:
    """The whole rows of one batch's points (locked by lock_point_states), read when a model is needed:
    a point at a time for the few whose alarms change, all the rest at once after a few (a storm)."""

    ONE_BY_ONE = 4

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.rows: dict[int, tuple] = {}
        self.reads = 0

    def row(self, point_id: int) -> tuple:
        if point_id not in self.rows:
            self.reads += 1
            wanted = (
                [point_id] if self.reads <= self.ONE_BY_ONE else [i for i in self.ids if i not in self.rows]
            )
            self.rows.update((row[0], row) for row in _whole_point_rows(wanted))
        return self.rows[point_id]


_WHOLE_POINT_ROWS = (
    f"SELECT {_columns(SensorPoint, _POINT_NAMES)} FROM devices_sensorpoint WHERE id = ANY(%s::bigint[])"  # noqa: S608
)


def _whole_point_rows(ids: list[int]) -> Iterable[tuple]:
    if connection.vendor == "postgresql":  # fixed SQL: see _claim_inbox
        with connection.cursor() as cursor:
            cursor.execute(_WHOLE_POINT_ROWS, [int_array(ids)])
            return cursor.fetchall()
    return SensorPoint.objects.filter(id__in=ids).values_list(*_POINT_NAMES)


def lock_point_states(point_ids: Iterable[int]) -> dict[int, PointState]:
    """Lock points (id order, as lock_points) and read their state."""
    ids = sorted(set(point_ids))
    rows: Iterable[tuple]
    if connection.vendor == "postgresql":  # fixed SQL: see _claim_inbox
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_POINT_STATES, [int_array(ids)])
            rows = cursor.fetchall()
    else:
        rows = (
            SensorPoint.objects.select_for_update(no_key=True)
            .filter(id__in=ids)
            .order_by("id")
            .values_list(*_STATE_READ)
        )
    rows = list(rows)
    scenes = _scenes({row[1] for row in rows})
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
        for point_id, point_rows in by_point.items():
            if point_id in points:
                self._apply(points[point_id], sorted(point_rows, key=lambda r: (r.ts, r.id)))
        _insert_readings(self.readings)
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
            _dead_letter_rows(missing, Reason.UNKNOWN_DEVICE, "the point was deleted before processing")

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
                elif rule_met(point, scene, row.ts, self.readings):
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
            point.offline_after = received + timedelta(seconds=OFFLINE_HEARTBEATS * point.heartbeat_interval)
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
        if low is None and battery < LOW_BATTERY:
            self.alarms.raise_alarm(
                point=point.model(),
                type_=Alarm.LOW_BATTERY,
                scene=None,
                severity=Severity.WARNING,
                first_seen=latest.ts,
                last_seen=latest.ts,
                value=float(battery),
                category=DEVICE_FAULT_CATEGORY,
            )
        elif low is not None and battery >= LOW_BATTERY_CLEAR:
            self.alarms.clear(low, point.model(), reason=Alarm.ClearReason.RECOVERED)


def rule_met(
    point: SensorPoint | PointState, scene: Scene, ts: datetime, batch_readings: Sequence[ReadingRow] = ()
) -> bool:
    """Dwell ("for N seconds") and repeat ("N times in M seconds") of the scene, at reading time `ts`."""
    if point.abnormal_since is None or ts - point.abnormal_since < timedelta(seconds=scene.dwell_seconds):
        return False
    if scene.repeat_count <= 1:
        return True
    start = ts - timedelta(seconds=scene.repeat_window_seconds)
    in_batch = sum(
        1
        for r in batch_readings
        if r.point_id == point.id and r.abnormal and r.type == scene.sensor_type and start <= r.ts <= ts
    )
    stored = Reading.objects.filter(
        point_id=point.id, type=scene.sensor_type, abnormal=True, ts__gte=start, ts__lte=ts
    ).count()
    return in_batch + stored >= scene.repeat_count


def _insert_readings(readings: list[ReadingRow]) -> None:
    if not readings:
        return
    if connection.vendor == "postgresql":
        # COPY: no SQL text to build and parse per row (psycopg2's execute_values spent more on that).
        types = {r.type: r.type.translate(COPY_ESCAPES) for r in readings}
        text = "".join(
            f"{r.point_id}\t{r.ts.isoformat()}\t{types[r.type]}\t{r.value!r}\t{'t' if r.abnormal else 'f'}\n"
            for r in readings
        )
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                "COPY devices_reading (point_id, ts, type, value, abnormal) FROM STDIN", io.StringIO(text)
            )
        return
    Reading.objects.bulk_create([Reading(**row._asdict()) for row in readings], batch_size=500)


def _dead_letter_rows(rows: Iterable[InboxRow | Inbox], reason: Reason, detail: str) -> None:
    import json

    DeadLetter.objects.bulk_create(
        DeadLetter.of(
            reason=reason.value,
            detail=detail,
            topic=f"sensors/{row.device_code}/data",
            device_code=row.device_code,
            payload=json.dumps(
                {
                    "id": row.msg_id,
                    "ts": row.ts.isoformat(),
                    "type": row.type,
                    "value": row.value,
                    "battery": row.battery,
                }
            ).encode(),
            received_at=row.received_at,
        )
        for row in rows
    )


def sweep_inbox(*, now: datetime | None = None) -> dict[str, int]:
    """Re-queue inbox rows left behind (a worker killed, a lost task); dead-letter rows that keep failing.

    No index finds the unprocessed rows (models.Inbox: the processed mark must not touch one), so the
    sweeper reads the inbox by id from its mark (InboxSweepMark), up to the horizon of the sweep before:
    at most a sweep interval or two of rows, plus any backlog. Rows newer than that are younger than
    the sweep interval anyway. Only ids that no open transaction can still commit are passed.

    Also re-queues alarms whose case could not be opened yet (cases app down, category missing).
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
    settled = mark.horizon_at is not None and _no_transaction_before(mark.horizon_at)
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
        _dead_letter_rows(locked, Reason.PROCESSING_FAILED, f"processing failed {MAX_ATTEMPTS} times")
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
        mark.horizon_id, mark.horizon_at = _inbox_horizon()
        mark.save()
    return requeue, len(failing)


def _inbox_horizon() -> tuple[int, datetime]:
    """(the highest inbox id handed out so far, a time read after it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Not max(id): a sequence value is handed out before its row is committed. Read before the
            # clock, so every transaction that got an id up to it began before that time.
            cursor.execute(
                "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('devices_inbox', 'id')), 0)"
            )
            (last,) = cursor.fetchone()
            cursor.execute("SELECT clock_timestamp()")
            (read_at,) = cursor.fetchone()
        return int(last), read_at
    # SQLite (standalone): one writer at a time, so what is visible is everything written so far.
    return Inbox.objects.order_by("-id").values_list("id", flat=True).first() or 0, timezone.now()


def _no_transaction_before(moment: datetime) -> bool:
    """Whether every transaction of this database that began before `moment` has ended (ours aside)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        # The platform's processes share one database role, so pg_stat_activity shows their start times.
        cursor.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND xact_start < %s)",
            [moment],
        )
        return bool(cursor.fetchone()[0])


# --------------------------------------------------------------------------------------------------
# Health sweep: offline points, dwell reached without a new reading, auto-clear after quiet normal


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
                severity=Severity.MINOR,
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
            if not rules.scene_active(scene, timezone.localtime(now)) or not rule_met(point, scene, now):
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


# --------------------------------------------------------------------------------------------------
# Alarm actions by people (API, admin)


def _locked_alarm(alarm_id: int) -> tuple[Alarm, SensorPoint, AlarmChanges]:
    point_id = Alarm.objects.filter(pk=alarm_id).values_list("point_id", flat=True).first()
    if point_id is None:
        raise Alarm.DoesNotExist(f"alarm {alarm_id} does not exist")
    point = lock_points([point_id])[point_id]
    alarm = Alarm.objects.select_related("scene").get(pk=alarm_id)
    changes = AlarmChanges(
        timezone.now(), {(point_id, alarm.type): alarm} if alarm.cleared_at is None else {}
    )
    return alarm, point, changes


def acknowledge_alarm(*, alarm_id: int, user: User) -> Alarm:
    """Someone has seen it and acts: stops the ack reminders. Idempotent; a cleared alarm is final."""
    with transaction.atomic():
        alarm, point, changes = _locked_alarm(alarm_id)
        if alarm.cleared_at is not None:
            raise AlarmStateError(_("This alarm is already cleared."))
        if alarm.acknowledged_at is None:
            alarm.acknowledged_at = changes.now
            alarm.acknowledged_by = user
            changes.touch(alarm, point)
            changes.save()
    return alarm


def clear_alarm(*, alarm_id: int, user: User) -> Alarm:
    """Clear by hand (the sensor is fixed or the cause removed). Idempotent."""
    with transaction.atomic():
        alarm, point, changes = _locked_alarm(alarm_id)
        if alarm.cleared_at is None:
            changes.clear(alarm, point, reason=Alarm.ClearReason.MANUAL, user=user)
            changes.save()
    return alarm


def mark_false_alarm(*, alarm_id: int, user: User) -> Alarm:
    """A false alarm: cleared if still active, and counted in its scene's false-alarm rate."""
    with transaction.atomic():
        alarm, point, changes = _locked_alarm(alarm_id)
        if alarm.false_alarm:
            return alarm
        alarm.false_alarm = True
        alarm.case_pending = False
        if alarm.cleared_at is None:
            changes.clear(alarm, point, reason=Alarm.ClearReason.FALSE_ALARM, user=user)
        else:
            changes.touch(alarm, point)
        changes.save()
    return alarm


# --------------------------------------------------------------------------------------------------
# Cases: the only code that calls the cases app (contract in the project brief)


class CasesUnavailable(RuntimeError):
    pass


def _cases_services() -> Any:
    try:
        services = importlib.import_module("cases.services")
    except ImportError as exc:
        raise CasesUnavailable("cases.services is not available") from exc
    if not hasattr(services, "open_case_from_alarm"):
        raise CasesUnavailable("cases.services.open_case_from_alarm is not available")
    return services


def _open_case(**kwargs: Any) -> int:
    function = _cases_services().open_case_from_alarm
    sensor_code = kwargs.pop("sensor_code", "")
    if "sensor_code" in inspect.signature(function).parameters:
        kwargs["sensor_code"] = sensor_code
    return int(function(**kwargs))


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
    return _open_case(
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
            _cases_services().note_sensor_normal(case_id=case_id, normal_since=normal_since)
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
    try:
        together = _cases_services().alarm_cases_together
    except (CasesUnavailable, AttributeError):
        together = contextlib.nullcontext
    with together():  # the cases' notifications: one task for the batch, not one a case
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
            except CasesUnavailable as exc:
                logger.warning("alarm %s: no case yet (%s); the sweeper retries", alarm_id, exc)
                break
            except Exception:
                logger.exception("opening the case of alarm %s failed; the sweeper retries", alarm_id)
        for (scene_id, compound_id), scene in sorted(clusters.items()):
            # One cluster check per compound and window is enough: in a storm every new alarm of a
            # compound would otherwise re-count the compound's alarms and touch its emergency case
            # again. (A hint only: the cases app dedups the emergency case by its source key.)
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
    # alarms have its sensor type). Filtering the district's recent alarms by compound instead read each
    # of them: 900 in the ingest benchmark's 5-minute window cost 7 ms a check, a storm's 60,000 about
    # half a second. No condition on the alarm's scene: without statistics (a new database, autovacuum
    # off) PostgreSQL then used the scene's index for every point.
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
            return _open_case(
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


# ---------------------------------------------------------------------------------------------- scene review
# The statistics' scene review acts on a scene in one click (stats/scene_review.py decides what to offer).


def tune_scene_dwell(*, scene_id: int, dwell_seconds: int) -> Scene:
    """Make a scene wait longer before an alarm (delivery riders stopping for a minute are not parking)."""
    scene = Scene.objects.get(pk=scene_id)
    scene.dwell_seconds = dwell_seconds
    scene.save(update_fields=["dwell_seconds"])
    return scene


def limit_scene_hours(*, scene_id: int, active_from: dt_time, active_until: dt_time) -> Scene:
    """Let a scene raise alarms only between two times of day (it may wrap past midnight)."""
    scene = Scene.objects.get(pk=scene_id)
    scene.active_from, scene.active_until = active_from, active_until
    scene.save(update_fields=["active_from", "active_until"])
    return scene


def retire_scene(*, scene_id: int, now: datetime | None = None) -> Scene:
    """Switch a scene off for good: it raises nothing and takes no new points (its history stays)."""
    scene = Scene.objects.get(pk=scene_id)
    scene.enabled = False
    scene.retired_at = scene.retired_at or now or timezone.now()
    scene.save(update_fields=["enabled", "retired_at"])
    return scene
