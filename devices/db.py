"""The devices' raw SQL: the ingest path's fixed queries and the PostgreSQL bulk helpers.

Every function here runs on PostgreSQL with fixed SQL and array parameters, and has a portable ORM
fallback for SQLite (the standalone profile). Django compiled the ORM's queries for every batch, at a
cost of ~0.3 ms of Python apiece, more than PostgreSQL took to run them.
"""

import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from psycopg2.extras import execute_values

from .models import Alarm, Inbox, Reading, Scene, SensorPoint

Row = tuple[Any, ...]  # a row as the cursor returns it
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})  # COPY text format


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


# --------------------------------------------------------------------------------------------------
# Array literals, one per column, each cast in its SQL (`%s::bigint[]`): psycopg2 adapts a list element
# by element, several times slower (checked against psycopg2's own adaptation in
# tests/devices/test_ingest_service.py).


def epoch_array(values: Iterable[datetime | None]) -> str:
    """Aware datetimes as one `float8[]` literal of Unix seconds, for `to_timestamp()` in the SQL.

    Exact to the microsecond: a double holds Unix seconds of this era to 0.24 µs and `to_timestamp`
    rounds to the microsecond (tests/devices/test_ingest_service.py compares 1990-2070 round trips).
    """
    return (
        "{" + ",".join("NULL" if value is None else repr(_aware(value).timestamp()) for value in values) + "}"
    )


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:  # .timestamp() would read it in the process's time zone, silently
        raise ValueError(f"a naive datetime for a timestamptz column: {value!r}")
    return value


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


# --------------------------------------------------------------------------------------------------
# Bulk helpers


def bulk_update(objs: Sequence[Any], fields: Sequence[str], *, model: type[Any] | None = None) -> None:
    """UPDATE many rows, each with its own values (scalar fields), from model instances or other objects
    with the key and the fields as attributes (give the `model` then). On PostgreSQL one `UPDATE ... FROM
    unnest(<one array per column>)`: Django's bulk_update builds a CASE per field and row, seconds of
    Python per 500 rows."""
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
    # Numbers, ids and strings as array literals; other values (dates, booleans) psycopg2 adapts. The
    # casts type the literals and the NULLs.
    values: list[Any] = []
    for column in columns:
        column_values = [getattr(obj, column.attname) for obj in objs]
        literal = _ARRAY_LITERALS.get(
            (column.target_field if column.is_relation else column).get_internal_type()
        )
        values.append(literal(column_values) if literal is not None else column_values)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def bulk_insert(objs: Sequence[Any]) -> None:
    """INSERT new rows and set their ids. On PostgreSQL one execute_values: Django's bulk_create spends
    a third of a second of Python on 500 alarms, which adds up in a storm."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
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


# --------------------------------------------------------------------------------------------------
# Inbox


def points_by_code(codes: set[str]) -> dict[str, tuple[int, str]]:
    """code → (id, status) of the points among `codes`."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            sql = "SELECT code, id, status FROM devices_sensorpoint WHERE code = ANY(%s::text[])"
            cursor.execute(sql, [text_array(codes)])
            rows = cursor.fetchall()
    else:
        rows = list(SensorPoint.objects.filter(code__in=codes).values_list("code", "id", "status"))
    return {code: (point_id, status) for code, point_id, status in rows}


_INSERT_INBOX = (
    "INSERT INTO devices_inbox (device_code, msg_id, point_id, ts, type, value, battery, received_at,"
    " attempts) SELECT c, m, p, to_timestamp(t), k, v, b, to_timestamp(r), 0 FROM unnest(%s::text[],"
    " %s::text[], %s::bigint[], %s::float8[], %s::text[], %s::float8[], %s::int[], %s::float8[])"
    " AS u(c, m, p, t, k, v, b, r)"
)


def insert_inbox(rows: list[Row], *, skip_stored: bool) -> list[int]:
    """Insert (device_code, msg_id, point_id, ts, type, value, battery, received_at); new ids only.

    With `skip_stored` false, a message already in the inbox fails the whole INSERT (UniqueViolation)
    instead of being skipped. That is the listener's first try for a batch: ON CONFLICT DO NOTHING makes
    PostgreSQL insert each row speculatively (a lookup and a second WAL record a row), for duplicates
    that come only after a reconnect or a device's resend."""
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


# A task claims its rows with the processed mark itself: one UPDATE locks the rows among its ids that are
# still unprocessed, marks them and returns them (a SELECT ... FOR UPDATE and then the mark wrote each row
# twice). The mark commits with the batch's readings and alarms, or not at all. By primary key (the inbox
# has no index on processed_at).
_CLAIM_INBOX = (
    "UPDATE devices_inbox SET processed_at = %s WHERE id = ANY(%s::bigint[]) AND processed_at IS NULL"  # noqa: S608
    f" RETURNING {', '.join(InboxRow._fields)}"
)


def claim_inbox(ids: list[int], at: datetime) -> list[InboxRow]:
    """The rows among `ids` not yet processed, now marked processed at `at`."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_INBOX, [at, int_array(ids)])
            return [InboxRow(*values) for values in cursor.fetchall()]
    # SQLite (standalone): one writer at a time, so reading and then marking claims the rows as well.
    rows = list(Inbox.objects.filter(id__in=ids, processed_at__isnull=True).values_list(*InboxRow._fields))
    Inbox.objects.filter(id__in=[row[0] for row in rows]).update(processed_at=at)
    return [InboxRow(*values) for values in rows]


def inbox_horizon() -> tuple[int, datetime]:
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


def no_transaction_before(moment: datetime) -> bool:
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
# Points, scenes, alarms, readings


def _columns(model: type[Any], names: Sequence[str]) -> str:
    return ", ".join(f'"{model._meta.get_field(name).column}"' for name in names)


@cache
def _point_rows_sql(names: tuple[str, ...], *, lock: bool) -> str:
    locking = " ORDER BY id FOR NO KEY UPDATE" if lock else ""
    columns = _columns(SensorPoint, names)
    return f"SELECT {columns} FROM devices_sensorpoint WHERE id = ANY(%s::bigint[]){locking}"  # noqa: S608


def point_rows(ids: list[int], names: Sequence[str], *, lock: bool = False) -> list[Row]:
    """The `names` columns of these points; with `lock`, row-locked in id order (no deadlocks)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_point_rows_sql(tuple(names), lock=lock), [int_array(ids)])
            return list(cursor.fetchall())
    queryset = SensorPoint.objects.filter(id__in=ids)
    if lock:
        queryset = queryset.select_for_update(no_key=True).order_by("id")
    return list(queryset.values_list(*names))


def scenes_by_id(ids: set[int]) -> dict[int, Scene]:
    if connection.vendor == "postgresql":
        return {
            scene.id: scene
            for scene in Scene.objects.raw("SELECT * FROM devices_scene WHERE id = ANY(%s)", [list(ids)])
        }
    return Scene.objects.in_bulk(ids)


def active_alarms(point_ids: Iterable[int]) -> Iterable[Alarm]:
    """The alarms of these points that are not cleared."""
    if connection.vendor == "postgresql":
        sql = "SELECT * FROM devices_alarm WHERE point_id = ANY(%s::bigint[]) AND cleared_at IS NULL"
        return Alarm.objects.raw(sql, [int_array(point_ids)])
    return Alarm.objects.filter(point_id__in=list(point_ids), cleared_at__isnull=True)


def insert_readings(readings: list[ReadingRow]) -> None:
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
