"""Periods: ISO weeks, months, quarters, years and ranges; the period before and a year earlier."""

from datetime import date

import pytest

from stats.periods import PeriodError, date_range, parse_week, period_of, previous_iso_week


def test_an_iso_week_runs_monday_to_sunday_in_shanghai_time():
    week = parse_week("2026-W47")
    assert (week.first, week.last) == (date(2026, 11, 16), date(2026, 11, 22))
    assert week.start.isoformat() == "2026-11-16T00:00:00+08:00"
    assert week.end.isoformat() == "2026-11-23T00:00:00+08:00"
    assert week.label == "2026-W47"


@pytest.mark.parametrize("text", ["2026-W54", "2026-47", "", "2026-W00", "abcd-W01"])
def test_a_week_that_does_not_exist_is_refused(text):
    with pytest.raises(PeriodError):
        parse_week(text)


def test_the_previous_and_year_ago_periods():
    week = parse_week("2026-W01")
    assert week.previous().label == "2025-W52"
    assert week.year_ago().label == "2025-W01"
    assert parse_week("2026-W53").year_ago().label == "2025-W52"  # 2025 has 52 weeks
    march = period_of("month", date(2026, 3, 15))
    assert (march.previous().first, march.previous().last) == (date(2026, 2, 1), date(2026, 2, 28))
    assert march.year_ago().label == "2025-03"
    quarter = period_of("quarter", date(2026, 11, 30))
    assert (quarter.first, quarter.last, quarter.label) == (date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
    assert quarter.previous().label == "2026-Q3"
    assert period_of("year", date(2026, 5, 1)).previous().label == "2025"
    assert period_of("day", date(2026, 3, 1)).previous().label == "2026-02-28"


def test_a_range_compares_with_the_same_number_of_days_before():
    span = date_range(date(2026, 11, 10), date(2026, 11, 19))
    before = span.previous()
    assert (before.first, before.last) == (date(2026, 10, 31), date(2026, 11, 9))
    with pytest.raises(PeriodError):
        date_range(date(2026, 11, 19), date(2026, 11, 10))
    with pytest.raises(PeriodError):
        date_range(date(2024, 1, 1), date(2026, 1, 1))


def test_the_weekly_report_week_is_the_last_full_week():
    assert previous_iso_week(date(2026, 11, 23)).label == "2026-W47"  # a Monday
    assert previous_iso_week(date(2026, 11, 29)).label == "2026-W47"  # a Sunday
