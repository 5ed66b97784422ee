"""Reads: the work calendar, scoped case lists, the dispatcher's queue, merge candidates."""

import functools
import math
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import F, Model, QuerySet

from command_center.models import User
from grids.scoping import ScopePaths, scope_filter, scope_queryset

from .calendar import WorkCalendarSpec
from .models import (
    OPEN_STATUSES,
    CalendarDay,
    Case,
    CaseEscalation,
    CaseEvent,
    CasePhoto,
    Category,
    WorkCalendar,
)

CASE_SCOPE = ScopePaths(grid="grid", department="department", assignee="assignee", reporter="reporter")
DEFAULT_CALENDAR = "default"

# Calendars change a few times a year: keep them a minute per process (admin saves clear it here).
_CALENDAR_TTL = 60.0
_calendar_cache: dict[str, tuple[float, WorkCalendarSpec]] = {}
_calendar_lock = threading.Lock()


def clear_calendar_cache() -> None:
    with _calendar_lock:
        _calendar_cache.clear()


def calendar_spec(code: str = DEFAULT_CALENDAR) -> WorkCalendarSpec:
    with _calendar_lock:
        cached = _calendar_cache.get(code)
        if cached and time.monotonic() - cached[0] < _CALENDAR_TTL:
            return cached[1]
    calendar = WorkCalendar.objects.filter(code=code).first()
    if calendar is None:
        spec = WorkCalendarSpec()  # Monday to Friday, 08:30-12:00 and 13:00-17:00, no holidays
    else:
        days = CalendarDay.objects.filter(year__calendar=calendar).values_list("date", "kind")
        spec = WorkCalendarSpec.build(
            windows=[
                (calendar.morning_start, calendar.morning_end),
                (calendar.afternoon_start, calendar.afternoon_end),
            ],
            workweek_iso=calendar.workweek,
            holidays=[day for day, kind in days if kind == CalendarDay.Kind.HOLIDAY],
            workdays=[day for day, kind in days if kind == CalendarDay.Kind.WORKDAY],
        )
    with _calendar_lock:
        _calendar_cache[code] = (time.monotonic(), spec)
    return spec


def calendar_for(category: Category) -> WorkCalendarSpec:
    return calendar_spec(DEFAULT_CALENDAR)


def cases_for(user: User | None) -> QuerySet[Case]:
    """Every case the user may see (grids/scoping.py decides)."""
    return scope_queryset(Case.objects.all(), user, CASE_SCOPE)


# What a list row shows of the case itself, fetched as values: no model instances to build (the list is
# the hottest read). The names of its relations come from related_names(): with five joins PostgreSQL
# spent 5-15 ms planning each page, twenty times what a page on one table takes (bench/cases_api.py).
LIST_VALUES = [
    "id",
    "title",
    "status",
    "severity",
    "priority",
    "emergency",
    "source",
    "lat",
    "lng",
    "overdue",
    "version",
    "alarm_count",
    "deadline",
    "occurred_at",
    "created_at",
    "updated_at",
    "sensor_code",
    "address",
    "category_id",
    "grid_id",
    "community_id",
    "compound_id",
    "department_id",
    "assignee_id",
]

# Resolving the names of LIST_VALUES costs more than cloning a query that has them resolved already.
_LIST_BASE = Case.objects.values(*LIST_VALUES)


def case_list(user: User | None) -> QuerySet[Case, dict[str, Any]]:
    """The cases the user may see, as dicts of LIST_VALUES."""
    return scope_queryset(_LIST_BASE.all(), user, CASE_SCOPE)


Condition = tuple[str, list[Any]]  # SQL on the case table and its parameters


class CaseListQuery:
    """The case list as one statement on the case table: the caller's scope, the filters' conditions
    (cases/api/filters.py), a cursor's position, newest first. Compiling the same list as a queryset cost
    Django about a millisecond a page, a fifth of the page (bench/cases_api.py)."""

    model = Case

    def __init__(self, user: User | None, conditions: Iterable[Condition] = ()) -> None:
        self.user = user
        self.conditions = list(conditions)

    def where(self, conditions: Iterable[Condition]) -> "CaseListQuery":
        return CaseListQuery(self.user, [*self.conditions, *conditions])

    def rows(
        self, *, newest_first: bool, before: datetime | None = None, after: datetime | None = None,
        offset: int = 0, limit: int,
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Up to `limit` cases as dicts of LIST_VALUES, by creation time, created before or after a moment."""
        created = _LIST_COLUMNS[LIST_VALUES.index("created_at")]
        conditions = list(self.conditions)
        scope = scope_filter(self.user, CASE_SCOPE)
        if scope is not None:
            try:
                sql, params = Case.objects.filter(scope).values("pk").query.sql_with_params()
            except EmptyResultSet:  # a scope of nothing
                return []
            conditions.append((f"{_LIST_COLUMNS[0]} IN ({sql})", list(params)))
        for moment, operator in ((before, "<"), (after, ">")):
            if moment is not None:
                conditions.append(
                    (f"{created} {operator} %s", [connection.ops.adapt_datetimefield_value(moment)])
                )
        where = " AND ".join(f"({sql})" for sql, _params in conditions) or "1 = 1"
        # Then by id: cases of one creation time keep their order, so a cursor's offset past them holds
        # both ways.
        direction = "DESC" if newest_first else "ASC"
        sql = (
            f'SELECT {", ".join(_LIST_COLUMNS)} FROM "{Case._meta.db_table}" WHERE {where} '  # noqa: S608
            f"ORDER BY {created} {direction}, {_LIST_COLUMNS[0]} {direction} LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for _sql, params in conditions for value in params] + [limit, offset])
            found = cursor.fetchall()
        converters = _list_converters(connection.vendor)
        rows = []
        for values in found:
            row = dict(zip(LIST_VALUES, values, strict=True))
            for name, column, functions in converters:  # none on PostgreSQL; SQLite's times and booleans
                for convert in functions:
                    row[name] = convert(row[name], column, connection)
            rows.append(row)
        return rows


def case_column(name: str) -> str:
    """A case field's column, with its table: a scope's joins bring tables with columns of the same names."""
    field: Any = Case._meta.get_field(name)
    return f'"{Case._meta.db_table}"."{field.column}"'


_LIST_COLUMNS = [case_column(name) for name in LIST_VALUES]


@functools.cache
def _list_converters(vendor: str) -> list[tuple[str, Any, list[Any]]]:
    """The database's and the fields' converters of LIST_VALUES, as the ORM applies them."""
    converters = []
    for name in LIST_VALUES:
        field: Any = Case._meta.get_field(name)
        column = field.get_col(Case._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            converters.append((name, column, functions))
    return converters


def case_detail(user: User | None) -> QuerySet[Case]:
    """The cases the user may see, for their detail (names of relations: related_names())."""
    return cases_for(user)


@functools.cache
def _case_by_id_sql() -> str:
    # Compiling this query (every column of the case) cost Django about a millisecond a detail.
    sql, params = Case.objects.filter(pk=0).order_by().query.sql_with_params()
    assert list(params) == [0], params
    return sql


def case_for_detail(user: User | None, pk: int) -> Case | None:
    """The case `pk` with every column, if the user may see it; else None."""
    if not 0 < pk < 2**63:  # beyond bigint: no such case (and no error from the server)
        return None
    condition = scope_filter(user, CASE_SCOPE)
    if condition is not None and not Case.objects.filter(condition, pk=pk).exists():
        return None
    return next(iter(Case.objects.raw(_case_by_id_sql(), [pk])), None)


# What related_names() reads: kind, table and three name columns.
_NAMED = [
    ("category", "cases_category", "code, name, ''"),
    ("grid", "grids_grid", "'', name, ''"),
    ("compound", "grids_compound", "'', name, ''"),
    ("department", "command_center_department", "code, name, ''"),
    ("user", "command_center_user", "username, first_name, last_name"),
]


def related_names(
    *,
    categories: Iterable[int | None] = (),
    grids: Iterable[int | None] = (),
    compounds: Iterable[int | None] = (),
    departments: Iterable[int | None] = (),
    users: Iterable[int | None] = (),
    arrays: bool | None = None,
) -> dict[tuple[str, Any], tuple[str, str, str]]:
    """(kind, id) → (code or username, name or first name, last name) of the given ids that exist, in one
    query. On PostgreSQL (`arrays`) each kind's ids are one array parameter: the SQL is the same for every
    page, so it is prepared once (cases/prepared.py); elsewhere (SQLite) one parameter per id."""
    if arrays is None:
        arrays = connection.vendor == "postgresql"
    wanted = [
        sorted({value for value in values if value is not None})
        for values in (categories, grids, compounds, departments, users)
    ]
    if not any(wanted):
        return {}
    parts: list[str] = []
    params: list[Any] = []
    for (kind, table, columns), ids in zip(_NAMED, wanted, strict=True):
        given: list[Any]
        if arrays:
            condition, given = "= ANY(%s)", [ids]
        elif ids:
            condition, given = f"IN ({', '.join(['%s'] * len(ids))})", ids
        else:
            continue
        parts.append(f"SELECT '{kind}', id, {columns} FROM {table} WHERE id {condition}")  # noqa: S608 (constants)
        params.extend(given)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {(kind, pk): (a, b, c) for kind, pk, a, b, c in cursor.fetchall()}


# The detail's timeline (with the actors' names), photos and escalation steps: fixed SQL, run as it is
# (compiling these three querysets cost Django about 2 ms a detail, bench/cases_api.py).
TIMELINE_SQL = """
SELECT e.id, e.at, e.action, e.from_status, e.to_status, u.username, u.first_name, u.last_name,
       e.actor_role, e.note, e.data, e.time_used_seconds, e.overdue
FROM cases_caseevent e LEFT JOIN command_center_user u ON u.id = e.actor_id
WHERE e.case_id = %s ORDER BY e.at, e.id
"""
PHOTOS_SQL = """
SELECT id, event_id, kind, content_type, size, lat, lng, taken_at, uploaded_at
FROM cases_casephoto WHERE case_id = %s ORDER BY uploaded_at, id
"""
ESCALATIONS_SQL = """
SELECT position, anchor, after_minutes, target, channels, until, state, due_at, fire_count, last_fired_at
FROM cases_caseescalation WHERE case_id = %s ORDER BY position
"""


def _dicts(cursor: Any, sql: str, params: list[Any], model: type[Model]) -> list[dict[str, Any]]:
    """The rows as dicts of their columns, each value of a `model` column converted as the ORM does
    (SQLite gives naive UTC times and 0/1 for booleans; either gives JSON as text)."""
    cursor.execute(sql, params)
    names = [column[0] for column in cursor.description]  # DB-API: the name is the first item
    converters = _column_converters(connection.vendor, model, tuple(names))
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        for name, column, functions in converters:
            for convert in functions:
                row[name] = convert(row[name], column, connection)
        rows.append(row)
    return rows


@functools.cache
def _column_converters(
    vendor: str, model: type[Model], names: tuple[str, ...]
) -> list[tuple[str, Any, list[Any]]]:
    fields: dict[str, Any] = {field.attname: field for field in model._meta.concrete_fields}
    converters = []
    for name in names:
        field = fields.get(name)
        if field is None:  # a column of a joined table (the actor's names): text as it is
            continue
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if functions:
            converters.append((name, column, functions))
    return converters


def case_timeline(case_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """A case's events (oldest first, with username, first_name and last_name of the actor), photos and
    escalation steps, as dicts of the columns in the SQL above."""
    with connection.cursor() as cursor:
        events = _dicts(cursor, TIMELINE_SQL, [case_id], CaseEvent)
        photos = _dicts(cursor, PHOTOS_SQL, [case_id], CasePhoto)
        escalations = _dicts(cursor, ESCALATIONS_SQL, [case_id], CaseEscalation)
    return events, photos, escalations


def queue_for(user: User | None, *, limit: int = 200) -> QuerySet[Case, dict[str, Any]]:
    """Open cases by urgency (emergency, severity) and then by the nearest deadline."""
    return (
        case_list(user)
        .filter(status__in=OPEN_STATUSES)
        .order_by("-emergency", "priority", F("deadline").asc(nulls_last=True), "-id")[:limit]
    )


def _metres_to_degrees(metres: float, lat: float) -> tuple[float, float]:
    dlat = metres / 111_320.0
    dlng = metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return dlat, dlng


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), good to a metre at street scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def merge_candidates(
    *, category: Category, lat: float, lng: float, exclude_id: int | None = None, limit: int = 5
) -> list[tuple[Case, float]]:
    """Open cases of the same category within the category's merge radius, nearest first."""
    radius = category.merge_radius_m
    if radius <= 0:
        return []
    dlat, dlng = _metres_to_degrees(radius, lat)
    nearby = (
        Case.objects.filter(
            category=category,
            status__in=OPEN_STATUSES,
            lat__range=(lat - dlat, lat + dlat),
            lng__range=(lng - dlng, lng + dlng),
        )
        .exclude(pk=exclude_id or 0)
        .order_by("-id")[:50]
    )
    found = [(case, distance_m(lat, lng, case.lat, case.lng)) for case in nearby]
    return sorted([pair for pair in found if pair[1] <= radius], key=lambda pair: pair[1])[:limit]


def remaining_seconds(case: Case, now: datetime) -> int | None:
    if case.deadline is None:
        return None
    return int((case.deadline - now).total_seconds())
