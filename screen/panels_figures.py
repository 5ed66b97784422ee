"""The figures' panels: the KPI tiles and the charts."""

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case
from devices.models import SensorPoint
from devices.selectors import POINT_SCOPE, screen_counters
from screen.panels import panel
from screen.scope import ScreenScope, alarm_queryset, case_queryset, day_start

TREND_DAYS = 7
KPI_WINDOW_DAYS = 30


def point_counts(screen: ScreenScope, *, now: datetime) -> dict[str, int]:
    """Active sensor points online (heard from within 3 heartbeats: `offline_after` ahead) and offline,
    in the screen's scope. Unlike devices.selectors.screen_counters, a point never heard from counts as
    offline here: the dispatcher should see that it is not reporting."""
    points = screen.scoped(SensorPoint.objects.filter(status=SensorPoint.Status.ACTIVE), POINT_SCOPE)
    counts = points.aggregate(total=Count("pk"), online=Count("pk", filter=Q(offline_after__gt=now)))
    return {"points_online": counts["online"], "points_offline": counts["total"] - counts["online"]}


def kpis(screen: ScreenScope, *, now: datetime) -> dict[str, Any]:
    """The KPI tiles. Rates cover the last KPI_WINDOW_DAYS days (docs/kpis.md has the formulas):
    on-time closure rate = closed on time ÷ (due − suspended), where due = closed in the window plus
    open cases already overdue; satisfaction = ratings of 4-5 stars ÷ ratings."""
    today = day_start(timezone.localdate(now))
    since = now - timedelta(days=KPI_WINDOW_DAYS)
    cases = case_queryset(screen)
    open_counts = cases.filter(status__in=Case.Status.OPEN).aggregate(
        n_open=Count("pk"),
        n_overdue=Count("pk", filter=Q(overdue=True)),
        n_emergency=Count("pk", filter=Q(emergency=True)),
        n_suspended_overdue=Count("pk", filter=Q(overdue=True, status=Case.Status.SUSPENDED)),
    )
    closed = cases.filter(status=Case.Status.CLOSED, closed_at__gte=since).aggregate(
        n_closed=Count("pk"),
        n_on_time=Count("pk", filter=Q(ever_overdue=False)),
        n_rated=Count("pk", filter=Q(satisfaction__isnull=False)),
        n_satisfied=Count("pk", filter=Q(satisfaction__gte=4)),
    )
    handling = cases.filter(
        handled_at__gte=since, dispatched_at__isnull=False, handled_at__isnull=False
    ).aggregate(average=Avg(F("handled_at") - F("dispatched_at")))["average"]
    due = closed["n_closed"] + open_counts["n_overdue"] - open_counts["n_suspended_overdue"]
    alarms = alarm_queryset(screen)
    ingest = screen_counters(now=now)  # the ingest rate and dead letters are the district's, unscoped
    return {
        "alarms_today": alarms.filter(raised_at__gte=today).count(),
        "active_alarms": alarms.filter(cleared_at__isnull=True).count(),
        "open_cases": open_counts["n_open"],
        "overdue": open_counts["n_overdue"],
        "emergency": open_counts["n_emergency"],
        "cases_today": cases.filter(created_at__gte=today).count(),
        "closed_today": cases.filter(status=Case.Status.CLOSED, closed_at__gte=today).count(),
        "avg_handling_seconds": round(handling.total_seconds()) if handling is not None else None,
        "on_time_rate": round(closed["n_on_time"] / due, 4) if due else None,
        "satisfaction_rate": round(closed["n_satisfied"] / closed["n_rated"], 4)
        if closed["n_rated"]
        else None,
        **point_counts(screen, now=now),
        "messages_per_second": ingest.get("messages_per_second"),
        "dead_letters_today": ingest.get("dead_letters_today"),
        "window_days": KPI_WINDOW_DAYS,
    }


def _per_day(queryset: QuerySet[Any], field: str, days: list[date]) -> list[int]:
    local = timezone.get_current_timezone()
    counts = dict(
        queryset.filter(**{f"{field}__gte": day_start(days[0])})
        .annotate(day=TruncDate(field, tzinfo=local))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
        .order_by()
    )
    return [counts.get(day, 0) for day in days]


def charts(screen: ScreenScope, *, now: datetime) -> dict[str, Any]:
    today = timezone.localdate(now)
    start = day_start(today)
    days = [today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    alarms = alarm_queryset(screen)
    cases = case_queryset(screen)
    by_source = dict(
        cases.filter(created_at__gte=start)
        .values("source")
        .annotate(n=Count("pk"))
        .values_list("source", "n")
        .order_by()
    )
    by_category = (
        cases.filter(created_at__gte=start)
        .values("category__code", "category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__code")[:10]
    )
    by_scene = (
        alarms.filter(raised_at__gte=start)
        .values("scene__code", "scene__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "scene__code")
    )
    return {
        "trend": {
            "days": [day.isoformat() for day in days],
            "alarms": _per_day(alarms, "raised_at", days),
            "cases": _per_day(cases, "created_at", days),
            "closed": _per_day(cases.filter(status=Case.Status.CLOSED), "closed_at", days),
        },
        "cases_by_source": [
            {"source": source, "count": by_source.get(source, 0)} for source in Case.Source.values
        ],
        "cases_by_category": [
            {"code": row["category__code"], "name": row["category__name"], "count": row["n"]}
            for row in by_category
        ],
        "alarms_by_scene": [
            {"code": row["scene__code"], "name": row["scene__name"] or str(_("Other")), "count": row["n"]}
            for row in by_scene
        ],
    }


@panel("kpis", position=10)
def kpis_panel(screen: ScreenScope, now: datetime) -> dict[str, Any]:
    return {"kpis": kpis(screen, now=now)}


@panel("charts", position=20)
def charts_panel(screen: ScreenScope, now: datetime) -> dict[str, Any]:
    return {"charts": charts(screen, now=now)}
