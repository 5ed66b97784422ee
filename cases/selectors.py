"""Reads: the work calendar, scoped case lists, the dispatcher's queue, merge candidates."""

import math
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet

from accounts.models import User
from grids.scoping import ScopePaths, scope_filter, scope_queryset

from . import db
from .calendar import WorkCalendarSpec
from .models import (
    CalendarDay,
    Case,
    Category,
    WorkCalendar,
)

CASE_SCOPE = ScopePaths(grid="grid", department="department", assignee="assignee")
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


Condition = db.Condition


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
        conditions = list(self.conditions)
        scope = scope_filter(self.user, CASE_SCOPE)
        if scope is not None:
            in_scope = db.in_scope(scope)
            if in_scope is None:  # a scope of nothing
                return []
            conditions.append(in_scope)
        for moment, operator in ((before, "<"), (after, ">")):
            if moment is not None:
                conditions.append(db.created(operator, moment))
        return db.case_rows(LIST_VALUES, conditions, newest_first=newest_first, offset=offset, limit=limit)


def case_detail(user: User | None) -> QuerySet[Case]:
    """The cases the user may see, for their detail (names of relations: related_names())."""
    return cases_for(user)


def case_for_detail(user: User | None, pk: int) -> Case | None:
    """The case `pk` with every column, if the user may see it; else None."""
    if not 0 < pk < 2**63:  # beyond bigint: no such case (and no error from the server)
        return None
    condition = scope_filter(user, CASE_SCOPE)
    if condition is not None and not Case.objects.filter(condition, pk=pk).exists():
        return None
    return db.case_by_id(pk)


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
        arrays = db.has_array_parameters()
    wanted = [
        sorted({value for value in values if value is not None})
        for values in (categories, grids, compounds, departments, users)
    ]
    if not any(wanted):
        return {}
    return db.named_rows(wanted, arrays=arrays)


def case_timeline(case_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """A case's events (oldest first, with the actor's names), photos and escalation steps (cases/db.py)."""
    return db.case_timeline(case_id)


def queue_for(user: User | None, *, limit: int = 200) -> QuerySet[Case, dict[str, Any]]:
    """Open cases by urgency (emergency, severity) and then by the nearest deadline."""
    return (
        case_list(user)
        .filter(status__in=Case.Status.OPEN)
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
            status__in=Case.Status.OPEN,
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
