"""The case KPIs (docs/kpis.md has their formulas): pure functions over querysets and a period.

Every function takes `cases` (a Case queryset already narrowed to the filters, drills left out) and, where
the KPI counts workflow steps, `events` (the CaseEvent rows of those same cases). Rates whose denominator
is zero are None (shown as "–"). Durations are hours.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from cases.calendar import WorkCalendarSpec, work_time_between
from cases.models import Case, CaseEvent

from .periods import Period

HOUR = 3600.0
# Stars from which a rating counts as satisfied (满意): 4 and 5 of 5.
SATISFIED_STARS = 4
NOT_DUE_STATUSES = (Case.Status.REJECTED, Case.Status.MERGED)


def ratio(numerator: int | float, denominator: int | float) -> float | None:
    return None if not denominator else numerator / denominator


def within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def reporting(cases: QuerySet[Case], period: Period) -> dict[str, Any]:
    """上报数 (cases created in the period), 立案数 (filed in the period) and 立案率 (of the reported ones,
    those filed)."""
    reported = cases.filter(within("created_at", period)).aggregate(
        reported=Count("id"), of_them_filed=Count("id", filter=Q(filed_at__isnull=False))
    )
    filed = cases.filter(within("filed_at", period)).count()
    return {
        "reported": reported["reported"],
        "filed": filed,
        "filing_rate": ratio(reported["of_them_filed"], reported["reported"]),
    }


def workflow_steps(events: QuerySet[CaseEvent], period: Period) -> dict[str, Any]:
    """Dispatches, returns, handlings, reworks and extensions: the workflow steps taken in the period."""
    steps = events.filter(within("at", period)).aggregate(
        dispatched=Count("id", filter=Q(action="dispatch")),
        returned=Count("id", filter=Q(action="return")),
        handled=Count("id", filter=Q(action="handle")),
        handled_on_time=Count("id", filter=Q(action="handle", overdue=False)),
        # A failed verification sends the case back to be handled again (返工).
        reworked=Count("id", filter=Q(action="verify", to_status=Case.Status.DISPATCHED)),
        extended=Count("id", filter=Q(action="approve_extension")),
    )
    return_rate = ratio(steps["returned"], steps["dispatched"])
    return {
        **steps,
        "return_rate": return_rate,
        "accurate_dispatch_rate": None if return_rate is None else 1 - return_rate,
        "on_time_handle_rate": ratio(steps["handled_on_time"], steps["handled"]),
        "rework_rate": ratio(steps["reworked"], steps["handled"]),
        "extension_rate": ratio(steps["extended"], steps["dispatched"]),
    }


def suspended_at(
    cases: QuerySet[Case], events: QuerySet[CaseEvent], moment: datetime, since: datetime
) -> QuerySet[Case]:
    """The cases that were suspended at `moment`: their last suspend or resume before it was a suspend.
    Only cases suspended after `since` (their filing) are looked at, so the rest is never scanned."""
    paused = events.filter(action="suspend", at__gte=since, at__lt=moment).values("case_id")
    last = (
        CaseEvent.objects.filter(case=OuterRef("pk"), action__in=("suspend", "resume"), at__lt=moment)
        .order_by("-at", "-id")
        .values("action")[:1]
    )
    return cases.filter(pk__in=paused).annotate(last_pause=Subquery(last)).filter(last_pause="suspend")


def closing(cases: QuerySet[Case], events: QuerySet[CaseEvent], period: Period) -> dict[str, Any]:
    """结案数 (closed in the period) and the rates of the cases due: those filed in the period (neither
    rejected nor merged), closed by the period's end, minus the ones suspended (缓办) at its end."""
    closed = cases.filter(within("closed_at", period)).count()
    due_cases = cases.filter(within("filed_at", period)).exclude(status__in=NOT_DUE_STATUSES)
    closed_by_end = Q(closed_at__isnull=False, closed_at__lt=period.end)
    due = due_cases.aggregate(
        due=Count("id"),
        due_closed=Count("id", filter=closed_by_end),
        due_closed_on_time=Count("id", filter=closed_by_end & Q(ever_overdue=False)),
    )
    suspended = suspended_at(due_cases.exclude(closed_by_end), events, period.end, period.start).count()
    counted = due["due"] - suspended
    return {
        "closed": closed,
        **due,
        "suspended": suspended,
        "close_rate": ratio(due["due_closed"], counted),
        "on_time_close_rate": ratio(due["due_closed_on_time"], counted),
    }


def _mean_hours(spans: Iterable[tuple[datetime | None, datetime | None]]) -> float | None:
    seconds = [(end - start).total_seconds() for start, end in spans if start and end and end >= start]
    return ratio(sum(seconds), len(seconds) * HOUR) if seconds else None


def durations(
    cases: QuerySet[Case], period: Period, calendar: WorkCalendarSpec, *, work_hours: bool = True
) -> dict[str, Any]:
    """Average response (dispatch → acceptance), handling (acceptance → handled, also in work hours on the
    work calendar unless `work_hours` is false) and disposal (report → close) times of the steps done in
    the period."""
    accepted = cases.filter(within("accepted_at", period)).values_list("dispatched_at", "accepted_at")
    handled = list(cases.filter(within("handled_at", period)).values_list("accepted_at", "handled_at"))
    closed = cases.filter(within("closed_at", period)).values_list("created_at", "closed_at")
    values = {
        "avg_response_hours": _mean_hours(accepted),
        "avg_handle_hours": _mean_hours(handled),
        "avg_disposal_hours": _mean_hours(closed),
    }
    if work_hours:
        work = [work_time_between(a, b, calendar).total_seconds() for a, b in handled if a and b]
        values["avg_handle_work_hours"] = ratio(sum(work), len(work) * HOUR) if work else None
    return values


def satisfaction(events: QuerySet[CaseEvent], period: Period) -> dict[str, Any]:
    """满意率: of the ratings given in the period, those of 4 or 5 stars (the case's current rating)."""
    rated = events.filter(within("at", period), action="rate").aggregate(
        rated=Count("case", distinct=True),
        satisfied=Count("case", distinct=True, filter=Q(case__satisfaction__gte=SATISFIED_STARS)),
    )
    return {**rated, "satisfaction_rate": ratio(rated["satisfied"], rated["rated"])}


def work_days(period: Period, calendar: WorkCalendarSpec) -> int:
    return sum(1 for day in period.days if calendar.is_workday(day))


def closed_per_handler(cases: QuerySet[Case], period: Period, calendar: WorkCalendarSpec) -> dict[str, Any]:
    """Cases closed in the period per person who handled them, per work day of the period."""
    closed = cases.filter(within("closed_at", period), handled_by__isnull=False).aggregate(
        closed=Count("id"), handlers=Count("handled_by", distinct=True)
    )
    days = work_days(period, calendar)
    return {
        "handlers": closed["handlers"],
        "work_days": days,
        "closed_per_handler_day": ratio(closed["closed"], closed["handlers"] * days),
    }


def overdue_now(cases: QuerySet[Case]) -> QuerySet[Case]:
    """超期: the cases whose running stage is past its deadline (marked by the sweep)."""
    return cases.filter(overdue=True, status__in=Case.Status.TIMED)


def case_kpis(
    cases: QuerySet[Case], events: QuerySet[CaseEvent], period: Period, calendar: WorkCalendarSpec
) -> dict[str, Any]:
    """Every case KPI of the period, one flat dictionary (the weekly API's answer)."""
    return {
        **reporting(cases, period),
        **workflow_steps(events, period),
        **closing(cases, events, period),
        **durations(cases, period, calendar),
        **satisfaction(events, period),
        **closed_per_handler(cases, period, calendar),
        "overdue": overdue_now(cases).count(),
    }


# Headline KPIs compared with the previous period (环比) and the same period a year earlier (同比).
HEADLINE = (
    "reported",
    "filed",
    "dispatched",
    "handled",
    "closed",
    "close_rate",
    "on_time_close_rate",
    "rework_rate",
    "return_rate",
    "avg_handle_hours",
    "avg_disposal_hours",
    "satisfaction_rate",
)
RATES = frozenset(key for key in HEADLINE if key.endswith("_rate"))


def change(current: float | None, before: float | None, *, is_rate: bool) -> float | None:
    """A count or duration changes by a fraction of its earlier value; a rate by its difference (points)."""
    if current is None or before is None:
        return None
    if is_rate:
        return current - before
    return ratio(current - before, before)


def compare(current: dict[str, Any], before: dict[str, Any]) -> dict[str, float | None]:
    return {key: change(current[key], before[key], is_rate=key in RATES) for key in HEADLINE}


def headline(
    cases: QuerySet[Case], events: QuerySet[CaseEvent], period: Period, calendar: WorkCalendarSpec
) -> dict[str, Any]:
    """The headline KPIs only (what 环比 and 同比 compare), cheaper than case_kpis."""
    values = {
        **reporting(cases, period),
        **workflow_steps(events, period),
        **closing(cases, events, period),
        **durations(cases, period, calendar, work_hours=False),
        **satisfaction(events, period),
    }
    return {key: values[key] for key in HEADLINE}


def with_comparisons(
    cases: QuerySet[Case], events: QuerySet[CaseEvent], period: Period, calendar: WorkCalendarSpec
) -> dict[str, Any]:
    current = case_kpis(cases, events, period, calendar)
    previous = headline(cases, events, period.previous(), calendar)
    year_ago = headline(cases, events, period.year_ago(), calendar)
    return {
        **current,
        "period_on_period": compare(current, previous),
        "year_on_year": compare(current, year_ago),
        "previous": previous,
        "year_ago": year_ago,
    }
