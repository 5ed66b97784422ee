"""Reads: the work calendar, scoped case lists, the dispatcher's queue, merge candidates."""

import math
import threading
import time
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet

from command_center.models import User
from grids.scoping import ScopePaths, scope_queryset

from .calendar import WorkCalendarSpec
from .models import OPEN_STATUSES, CalendarDay, Case, Category, WorkCalendar

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


# What a list row shows, fetched as values: no model instances to build (the list is the hottest read).
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
    "grid_id",
    "community_id",
    "compound_id",
    "category__code",
    "category__name",
    "grid__name",
    "compound__name",
    "department__code",
    "department__name",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
]
RELATED_ONLY = [name for name in LIST_VALUES if "__" in name]


# Resolving the lookups of LIST_VALUES costs more than cloning a query that has them resolved already.
_LIST_BASE = Case.objects.values(*LIST_VALUES)


def case_list(user: User | None) -> QuerySet[Case, dict[str, Any]]:
    """The cases the user may see, as dicts of LIST_VALUES."""
    return scope_queryset(_LIST_BASE.all(), user, CASE_SCOPE)


def case_detail(user: User | None) -> QuerySet[Case]:
    """One case with what its detail shows: every column of the case, a few of its relations'."""
    case_fields = [field.name for field in Case._meta.concrete_fields]
    more = [
        "category__merge_radius_m",
        "handled_by__username",
        "handled_by__first_name",
        "handled_by__last_name",
    ]
    return (
        cases_for(user)
        .select_related("category", "grid", "compound", "department", "assignee", "handled_by")
        .only(*case_fields, *RELATED_ONLY, *more)
    )


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
