"""Deadline arithmetic over work hours, work days, natural days and urgent clocks (pure, no database)."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cases import calendar as cal
from cases.calendar import SHANGHAI, WorkCalendarSpec
from cases.defaults import HOLIDAYS


def _range(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _spec_2026() -> WorkCalendarSpec:
    holidays, workdays = [], []
    for _name, first, last, makeup in HOLIDAYS[2026]["days"]:
        holidays += _range(first, last)
        workdays += [date.fromisoformat(d) for d in makeup]
    return WorkCalendarSpec.build(
        windows=[(time(8, 30), time(12, 0)), (time(13, 0), time(17, 0))], holidays=holidays, workdays=workdays
    )


# The 2026 arrangement as seeded: 春节 15-23 Feb off, Saturday 14 and 28 Feb are workdays.
CAL = _spec_2026()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# Hypothesis wants naive bounds; the values it draws are aware (Asia/Shanghai).
moments = st.datetimes(
    min_value=datetime(2025, 12, 1),  # noqa: DTZ001
    max_value=datetime(2026, 12, 31),  # noqa: DTZ001
    timezones=st.just(SHANGHAI),
)
amounts = st.integers(min_value=0, max_value=20 * 7 * 3600 + 1800).map(lambda s: timedelta(seconds=s))


# ----------------------------------------------------------------------------------------- examples


def test_work_hours_skip_lunch_and_night() -> None:
    # Monday 11:00 + 2 work hours: 1 h before lunch, 1 h after → 14:00.
    assert cal.add_work_time(at("2026-03-02T11:00"), timedelta(hours=2), CAL) == at("2026-03-02T14:00")
    # Friday 16:00 + 2 work hours: 1 h Friday, the rest on Monday morning.
    assert cal.add_work_time(at("2026-03-06T16:00"), timedelta(hours=2), CAL) == at("2026-03-09T09:30")
    # Started at night: the clock starts at the next window.
    assert cal.add_work_time(at("2026-03-02T20:00"), timedelta(minutes=30), CAL) == at("2026-03-03T09:00")


def test_a_window_used_up_ends_at_its_end_not_at_the_next_start() -> None:
    assert cal.add_work_time(at("2026-03-02T11:00"), timedelta(hours=1), CAL) == at("2026-03-02T12:00")


def test_spring_festival_and_make_up_saturdays() -> None:
    # Friday 13 Feb 2026 16:00 + 2 work hours: Saturday 14 Feb is a make-up workday.
    assert cal.add_work_time(at("2026-02-13T16:00"), timedelta(hours=2), CAL) == at("2026-02-14T09:30")
    # Saturday 14 Feb 16:00 + 2 work hours: 15-23 Feb are holidays, work resumes Tuesday 24 Feb.
    assert cal.add_work_time(at("2026-02-14T16:00"), timedelta(hours=2), CAL) == at("2026-02-24T09:30")
    assert CAL.is_workday(date(2026, 2, 28))  # Saturday, make-up
    assert not CAL.is_workday(date(2026, 10, 5))  # Monday, National Day
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday, make-up


def test_work_days_keep_the_time_of_day() -> None:
    day = cal.limit_to_clock_time(1, cal.WORK_DAYS, CAL)
    assert day == timedelta(hours=7, minutes=30)
    assert cal.add_clock_time(at("2026-03-02T10:00"), day, cal.WORK_DAYS, CAL) == at("2026-03-03T10:00")
    # 3 work days from Wednesday 30 Sep 2026 10:00: 1-7 Oct off; Thu 8, Fri 9 and Sat 10 Oct (make-up).
    three = cal.limit_to_clock_time(3, cal.WORK_DAYS, CAL)
    assert cal.add_clock_time(at("2026-09-30T10:00"), three, cal.WORK_DAYS, CAL) == at("2026-10-10T10:00")


def test_urgent_and_natural_days_are_continuous() -> None:
    start = at("2026-02-15T23:50")  # a holiday night
    assert cal.deadline_after(start, 15, cal.URGENT, CAL) == at("2026-02-16T00:05")
    assert cal.deadline_after(start, 2, cal.NATURAL_DAYS, CAL) == at("2026-02-17T23:50")
    assert cal.deadline_after(start, None, cal.URGENT, CAL) is None


def test_bad_input_is_a_clear_error_not_a_hang() -> None:
    with pytest.raises(cal.CalendarError, match="naive"):
        cal.add_work_time(datetime(2026, 3, 2, 9), timedelta(hours=1), CAL)  # noqa: DTZ001
    no_work = WorkCalendarSpec.build(windows=[(time(9), time(17))], workweek_iso="1", holidays=[])
    every_monday_off = WorkCalendarSpec(
        windows=no_work.windows,
        workweek=frozenset({0}),
        holidays=frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(600)),
    )
    with pytest.raises(cal.CalendarError, match="ten years"):
        cal.add_work_time(at("2026-01-01T09:00"), timedelta(hours=1), every_monday_off)
    with pytest.raises(cal.CalendarError, match="overlap"):
        WorkCalendarSpec.build(windows=[(time(9), time(12)), (time(11), time(17))])
    with pytest.raises(cal.CalendarError, match="both"):
        WorkCalendarSpec.build(
            windows=[(time(9), time(17))], holidays=[date(2026, 1, 1)], workdays=[date(2026, 1, 1)]
        )
    with pytest.raises(cal.CalendarError, match="unknown clock"):
        cal.deadline_after(at("2026-03-02T09:00"), 5, "lunar", CAL)


# ----------------------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(start=moments, amount=amounts)
def test_work_time_spent_is_the_work_time_measured(start: datetime, amount: timedelta) -> None:
    end = cal.add_work_time(start, amount, CAL)
    assert cal.work_time_between(start, end, CAL) == amount


@settings(max_examples=300, deadline=None)
@given(start=moments, first=amounts, second=amounts)
def test_adding_in_two_steps_equals_adding_at_once(
    start: datetime, first: timedelta, second: timedelta
) -> None:
    assume(first > timedelta())
    two_steps = cal.add_work_time(cal.add_work_time(start, first, CAL), second, CAL)
    assert two_steps == cal.add_work_time(start, first + second, CAL)


@settings(max_examples=300, deadline=None)
@given(start=moments, first=amounts, second=amounts)
def test_more_time_never_ends_earlier(start: datetime, first: timedelta, second: timedelta) -> None:
    low, high = sorted([first, second])
    assert start <= cal.add_work_time(start, low, CAL) <= cal.add_work_time(start, high, CAL)
    # Wall-clock time passes at least as fast as work time.
    assert cal.add_work_time(start, high, CAL) - start >= high


@settings(max_examples=300, deadline=None)
@given(start=moments, amount=amounts)
def test_a_deadline_falls_in_work_time_on_a_work_day(start: datetime, amount: timedelta) -> None:
    assume(amount > timedelta())
    end = cal.add_work_time(start, amount, CAL)
    local = end.astimezone(SHANGHAI)
    assert CAL.is_workday(local.date())
    # Inside a window, or exactly at the end of one.
    assert any(begin < local <= finish for begin, finish in CAL.windows_on(local.date()))


@settings(max_examples=200, deadline=None)
@given(start=moments, end=moments)
def test_no_work_time_is_counted_on_holidays_or_outside_windows(start: datetime, end: datetime) -> None:
    assume(start < end)
    measured = cal.work_time_between(start, end, CAL)
    assert timedelta() <= measured <= end - start
    # Measured hour by hour, the same total.
    by_hour, cursor = timedelta(), start
    while cursor < end:
        step = min(cursor + timedelta(hours=5), end)
        by_hour += cal.work_time_between(cursor, step, CAL)
        cursor = step
    assert by_hour == measured


@settings(max_examples=200, deadline=None)
@given(start=moments, amount=amounts, pause_at=amounts, pause=st.integers(0, 10 * 86400).map(lambda s: timedelta(seconds=s)),
       clock=st.sampled_from(cal.CLOCKS))  # fmt: skip
def test_a_suspension_moves_the_deadline_by_the_clock_time_left(
    start: datetime, amount: timedelta, pause_at: timedelta, pause: timedelta, clock: str
) -> None:
    """Suspend at some moment, resume later: the clock time still to run is the same as before."""
    deadline = cal.add_clock_time(start, amount, clock, CAL)
    suspended = start + pause_at
    assume(suspended <= deadline)
    left = cal.clock_time_between(suspended, deadline, clock, CAL)
    resumed = suspended + pause
    new_deadline = cal.add_clock_time(resumed, left, clock, CAL)
    assert new_deadline >= deadline
    assert cal.clock_time_between(resumed, new_deadline, clock, CAL) == left
    if pause == timedelta() and clock in (cal.URGENT, cal.NATURAL_DAYS):
        assert new_deadline == deadline


def test_seeded_years_are_consistent() -> None:
    for year, spec in HOLIDAYS.items():
        for _name, first, last, makeup in spec["days"]:
            days = _range(first, last)
            assert all(d.year == year for d in days)
            for text in makeup:
                made_up = date.fromisoformat(text)
                assert made_up.weekday() >= 5, f"{text} is a weekday already"
                assert made_up not in days
