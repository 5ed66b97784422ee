"""Reads of the statistics: everything a page, the API or the weekly report shows for a period."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from cases.selectors import calendar_spec
from devices.models import Alarm, SensorPoint
from grids.scoping import ScopePaths, scope_queryset

from . import kpis, rankings, sensors
from .filters import Counted, counted_cases, district_cases
from .periods import SHANGHAI, Period

ALARM_SCOPE = ScopePaths(grid="point__grid", department="point__department")
POINT_SCOPE = ScopePaths(grid="grid", department="department")
RANKED = tuple(rankings.DIMENSIONS)


def _place_q(filters: Mapping[str, str], grid_path: str) -> Q:
    """Sensors are filtered by place only (community, grid): the other filters are the cases'."""
    q = Q()
    if filters.get("community"):
        q &= Q(**{f"{grid_path}__community__code": filters["community"]})
    if filters.get("grid"):
        q &= Q(**{f"{grid_path}__code": filters["grid"]})
    return q


def alarms_and_points(
    user: User | None, filters: Mapping[str, str]
) -> tuple[QuerySet[Alarm], QuerySet[SensorPoint]]:
    alarms, points = Alarm.objects.all(), SensorPoint.objects.all()
    if user is not None:
        alarms = scope_queryset(alarms, user, ALARM_SCOPE)
        points = scope_queryset(points, user, POINT_SCOPE)
    return alarms.filter(_place_q(filters, "point__grid")), points.filter(_place_q(filters, "grid"))


def today() -> date:
    return timezone.localdate()


def period_kpis(counted: Counted, period: Period) -> dict[str, Any]:
    """The case KPIs of the period with their period-on-period and year-on-year changes."""
    return kpis.with_comparisons(counted.cases, counted.events, period, calendar_spec())


def statistics(user: User | None, period: Period, filters: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The whole picture of /stats/: KPIs, comparisons, rankings, the overdue list and the sensors.
    `user` None: the whole district (the weekly report)."""
    filters = filters or {}
    counted = district_cases(filters) if user is None else counted_cases(user, filters)
    alarms, points = alarms_and_points(user, filters)
    return {
        "period": {"kind": period.kind, "label": period.label, "from": period.first, "to": period.last},
        "kpis": period_kpis(counted, period),
        "rankings": {name: rankings.ranking(counted.cases, period, name) for name in RANKED},
        "overdue_list": rankings.overdue_list(counted.cases),
        "sensors": sensors.sensor_kpis(alarms, points, period, timezone.now()),
        "daily": daily_counts(counted, period),
        "heat": weekday_hour_counts(counted, period),
    }


def daily_counts(counted: Counted, period: Period) -> list[dict[str, Any]]:
    """Reported and closed per day of the period, local days (the trend chart)."""
    reported = _per_day(counted.cases.filter(kpis.within("created_at", period)), "created_at")
    closed = _per_day(counted.cases.filter(kpis.within("closed_at", period)), "closed_at")
    return [
        {"day": day, "reported": reported.get(day, 0), "closed": closed.get(day, 0)} for day in period.days
    ]


def weekday_hour_counts(counted: Counted, period: Period) -> list[list[int]]:
    """Cases reported in the period by weekday (ISO, 1 = Monday) and local hour: the heat map's cells
    [hour, weekday − 1, count], only those with cases."""
    rows = (
        counted.cases.filter(kpis.within("created_at", period))
        .annotate(
            weekday=ExtractIsoWeekDay("created_at", tzinfo=SHANGHAI),
            hour=ExtractHour("created_at", tzinfo=SHANGHAI),
        )
        .values("weekday", "hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [[row["hour"], row["weekday"] - 1, row["n"]] for row in rows]


def _per_day(cases: QuerySet[Case], field: str) -> dict[date, int]:
    rows = cases.annotate(day=TruncDate(field, tzinfo=SHANGHAI)).values("day").annotate(n=Count("id"))
    return dict(rows.order_by().values_list("day", "n"))
