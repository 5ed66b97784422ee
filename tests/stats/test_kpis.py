"""Every case KPI against hand-computed fixtures (docs/kpis.md): empty periods, zero denominators, suspended
cases, cases crossing the period's boundaries, holidays and 调休 on the work-day clock, drills."""

from datetime import date, time

import pytest

from cases.calendar import WorkCalendarSpec
from cases.models import Case
from stats import kpis
from stats.filters import district_cases
from stats.periods import date_range, parse_week
from tests.factories import UserFactory

from .conftest import at, case, event

pytestmark = pytest.mark.django_db
S = Case.Status
WEEK = parse_week("2026-W47")  # Monday 16 to Sunday 22 November 2026
PLAIN = WorkCalendarSpec()
# National Day 2026 as the State Council would set it: 1-7 October off, Saturday 10 October worked (调休).
NATIONAL_DAY = WorkCalendarSpec.build(
    windows=[(time(8, 30), time(12, 0)), (time(13, 0), time(17, 0))],
    holidays=[date(2026, 10, day) for day in range(1, 8)],
    workdays=[date(2026, 10, 10)],
)


def counted():  # type: ignore[no-untyped-def]
    scope = district_cases()
    return scope.cases, scope.events


def test_an_empty_period_counts_zero_and_its_rates_are_none():
    cases, events = counted()
    values = kpis.case_kpis(cases, events, WEEK, PLAIN)
    for key in ("reported", "filed", "dispatched", "handled", "closed", "due", "suspended", "overdue"):
        assert values[key] == 0, key
    for key in (
        "filing_rate",
        "return_rate",
        "accurate_dispatch_rate",
        "on_time_handle_rate",
        "rework_rate",
        "extension_rate",
        "close_rate",
        "on_time_close_rate",
        "satisfaction_rate",
        "closed_per_handler_day",
        "avg_response_hours",
        "avg_handle_hours",
        "avg_handle_work_hours",
        "avg_disposal_hours",
    ):
        assert values[key] is None, key


def test_reported_filed_and_filing_rate_count_the_period_only():
    case(
        created_at=at("2026-11-16 00:00"), filed_at=at("2026-11-16 01:00"), status=S.FILED
    )  # the first moment
    case(
        created_at=at("2026-11-20 10:00"), filed_at=at("2026-11-23 09:00"), status=S.FILED
    )  # filed next week
    case(created_at=at("2026-11-22 23:59"))  # not filed
    case(
        created_at=at("2026-11-13 10:00"), filed_at=at("2026-11-17 09:00"), status=S.FILED
    )  # reported before
    case(created_at=at("2026-11-23 00:00"))  # the first moment of the next week
    case(created_at=at("2026-11-17 10:00"), filed_at=at("2026-11-17 11:00"), drill=True)  # a drill
    cases, _ = counted()
    assert kpis.reporting(cases, WEEK) == {"reported": 3, "filed": 2, "filing_rate": pytest.approx(2 / 3)}


def test_dispatch_return_handle_rework_and_extension_rates():
    a, b, c, d = (case(status=S.DISPATCHED) for _ in range(4))
    for one in (a, b, c, d):
        event(one, "dispatch", "2026-11-16 10:00", to=S.DISPATCHED)
    event(b, "return", "2026-11-16 11:00", to=S.FILED)
    event(a, "handle", "2026-11-17 10:00", to=S.HANDLED)
    event(c, "handle", "2026-11-17 10:00", to=S.HANDLED, overdue=True)
    event(d, "handle", "2026-11-17 10:00", to=S.HANDLED)
    event(a, "verify", "2026-11-18 10:00", to=S.DISPATCHED)  # failed: rework
    event(d, "verify", "2026-11-18 10:00", to=S.VERIFIED)  # passed
    event(c, "approve_extension", "2026-11-16 12:00")
    event(c, "dispatch", "2026-11-23 10:00", to=S.DISPATCHED)  # next week
    event(d, "return", "2026-11-15 23:59", to=S.FILED)  # last week
    _, events = counted()
    steps = kpis.workflow_steps(events, WEEK)
    assert (steps["dispatched"], steps["returned"], steps["handled"], steps["reworked"]) == (4, 1, 3, 1)
    assert steps["return_rate"] == 0.25
    assert steps["accurate_dispatch_rate"] == 0.75
    assert steps["on_time_handle_rate"] == pytest.approx(2 / 3)
    assert steps["rework_rate"] == pytest.approx(1 / 3)
    assert steps["extension_rate"] == 0.25


def test_close_rates_leave_out_suspended_rejected_and_merged_cases():
    filed = at("2026-11-16 09:00")
    case(filed_at=filed, status=S.CLOSED, closed_at=at("2026-11-18 10:00"))  # on time
    case(filed_at=filed, status=S.CLOSED, closed_at=at("2026-11-19 10:00"), ever_overdue=True)
    case(filed_at=filed, status=S.CLOSED, closed_at=at("2026-11-23 08:00"))  # closed after the week
    paused = case(filed_at=filed, status=S.SUSPENDED)
    event(paused, "suspend", "2026-11-17 10:00", to=S.SUSPENDED)
    resumed = case(filed_at=filed, status=S.DISPATCHED)
    event(resumed, "suspend", "2026-11-17 10:00", to=S.SUSPENDED)
    event(resumed, "resume", "2026-11-18 10:00", to=S.DISPATCHED)
    paused_later = case(filed_at=filed, status=S.SUSPENDED)  # suspended after the week: counted as due
    event(paused_later, "suspend", "2026-11-24 10:00", to=S.SUSPENDED)
    case(filed_at=filed, status=S.REJECTED)
    case(filed_at=filed, status=S.MERGED)
    case(  # filed the week before, closed in this one: a closure, not due
        created_at=at("2026-11-10 09:00"),
        filed_at=at("2026-11-10 09:00"),
        status=S.CLOSED,
        closed_at=at("2026-11-17 09:00"),
    )
    cases, events = counted()
    values = kpis.closing(cases, events, WEEK)
    assert values["closed"] == 3  # on_time, late and the one filed the week before
    assert (values["due"], values["due_closed"], values["due_closed_on_time"]) == (6, 2, 1)
    assert values["suspended"] == 1
    assert values["close_rate"] == pytest.approx(2 / 5)
    assert values["on_time_close_rate"] == pytest.approx(1 / 5)


def test_close_rate_is_none_when_every_due_case_is_suspended():
    paused = case(filed_at=at("2026-11-16 09:00"), status=S.SUSPENDED)
    event(paused, "suspend", "2026-11-16 10:00", to=S.SUSPENDED)
    cases, events = counted()
    values = kpis.closing(cases, events, WEEK)
    assert (values["due"], values["suspended"]) == (1, 1)
    assert values["close_rate"] is None
    assert values["on_time_close_rate"] is None


def test_average_times_in_hours_and_in_work_hours_across_national_day_and_its_make_up_saturday():
    # Accepted Wednesday 30 September 16:00, handled Thursday 8 October 09:30: 1 h + 1 h of work time.
    case(
        created_at=at("2026-09-30 12:00"),
        dispatched_at=at("2026-09-30 15:00"),
        accepted_at=at("2026-09-30 16:00"),
        handled_at=at("2026-10-08 09:30"),
    )
    # Accepted Friday 9 October 16:00, handled Monday 12 October 09:00: 1 h + 7.5 h (Saturday 调休) + 0.5 h.
    case(
        created_at=at("2026-10-09 10:00"),
        dispatched_at=at("2026-10-09 14:00"),
        accepted_at=at("2026-10-09 16:00"),
        handled_at=at("2026-10-12 09:00"),
        closed_at=at("2026-10-12 10:00"),
    )
    period = date_range(date(2026, 10, 8), date(2026, 10, 12))
    cases, _ = counted()
    values = kpis.durations(cases, period, NATIONAL_DAY)
    assert values["avg_response_hours"] == 2.0  # only the acceptance on 9 October is in the period
    assert values["avg_handle_hours"] == pytest.approx((185.5 + 65) / 2)
    assert values["avg_handle_work_hours"] == pytest.approx((2 + 9) / 2)
    assert values["avg_disposal_hours"] == 72.0
    assert kpis.durations(cases, period, PLAIN)["avg_handle_work_hours"] == pytest.approx(
        # without the holidays: 1 h + 5 work days × 7.5 h + 1 h; and 1 h + 0.5 h
        ((1 + 5 * 7.5 + 1) + 1.5) / 2
    )


def test_closed_per_handler_per_work_day_uses_the_calendar():
    national_day_week = parse_week("2026-W41")  # 5-11 October: 5-7 off, 8-9 worked, Saturday 10 worked (调休)
    first, second = UserFactory(), UserFactory()
    for n in range(6):
        case(status=S.CLOSED, handled_by=first if n < 4 else second, closed_at=at("2026-10-08 10:00"))
    cases, _ = counted()
    values = kpis.closed_per_handler(cases, national_day_week, NATIONAL_DAY)
    assert (values["handlers"], values["work_days"]) == (2, 3)
    assert values["closed_per_handler_day"] == 1.0
    assert kpis.closed_per_handler(cases, national_day_week, PLAIN)["work_days"] == 5


def test_satisfaction_counts_ratings_given_in_the_period():
    for stars in (5, 4, 2):
        rated = case(status=S.CLOSED, satisfaction=stars)
        event(rated, "rate", "2026-11-18 10:00")
    earlier = case(status=S.CLOSED, satisfaction=1)
    event(earlier, "rate", "2026-11-10 10:00")
    _, events = counted()
    assert kpis.satisfaction(events, WEEK) == {
        "rated": 3,
        "satisfied": 2,
        "satisfaction_rate": pytest.approx(2 / 3),
    }


def test_drill_cases_are_never_counted():
    drill = case(
        drill=True,
        filed_at=at("2026-11-16 09:00"),
        status=S.CLOSED,
        closed_at=at("2026-11-17 09:00"),
        handled_by=UserFactory(),
        overdue=True,
    )
    event(drill, "dispatch", "2026-11-16 10:00", to=S.DISPATCHED)
    event(drill, "rate", "2026-11-18 10:00")
    cases, events = counted()
    values = kpis.case_kpis(cases, events, WEEK, PLAIN)
    assert (values["reported"], values["filed"], values["closed"], values["dispatched"]) == (0, 0, 0, 0)
    assert (values["rated"], values["handlers"], values["due"]) == (0, 0, 0)


def test_overdue_counts_running_stages_past_their_deadline():
    case(status=S.DISPATCHED, overdue=True)
    case(status=S.SUSPENDED, overdue=True)  # the clock is paused
    case(status=S.DISPATCHED)
    cases, _ = counted()
    assert kpis.overdue_now(cases).count() == 1


def test_week_on_week_changes_counts_by_fraction_and_rates_by_points():
    assert kpis.change(12, 10, is_rate=False) == pytest.approx(0.2)
    assert kpis.change(0.9, 0.8, is_rate=True) == pytest.approx(0.1)
    assert kpis.change(3, 0, is_rate=False) is None
    assert kpis.change(None, 0.5, is_rate=True) is None
    for _ in range(2):
        case(created_at=at("2026-11-17 09:00"))
    case(created_at=at("2026-11-10 09:00"))
    case(created_at=at("2025-11-18 09:00"))  # 2025-W47
    case(created_at=at("2025-11-19 09:00"))
    case(created_at=at("2025-11-20 09:00"))
    case(created_at=at("2025-11-21 09:00"))
    cases, events = counted()
    values = kpis.with_comparisons(cases, events, WEEK, PLAIN)
    assert (values["reported"], values["previous"]["reported"], values["year_ago"]["reported"]) == (2, 1, 4)
    assert values["period_on_period"]["reported"] == 1.0
    assert values["year_on_year"]["reported"] == -0.5
    assert values["period_on_period"]["close_rate"] is None
