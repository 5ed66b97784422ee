"""Periods of the statistics: a day, ISO week, month, quarter, year or a from-to range, in local time.

A period is half open, [start, end), in Asia/Shanghai; `previous` is the period just before it (环比) and
`year_ago` the same period a year earlier (同比). Pure: no database.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
KINDS = ("day", "week", "month", "quarter", "year", "range")
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
# A from-to range longer than this is refused: nobody reads more, and it bounds the query.
MAX_RANGE_DAYS = 400


class PeriodError(ValueError):
    """The period asked for does not exist (bad week, from after to, …)."""


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # first day
    last: date  # last day, included

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=SHANGHAI)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first.isoformat()}/{self.last.isoformat()}"

    def previous(self) -> "Period":
        return period_of(self.kind, self.first - timedelta(days=1), length=len(self.days))

    def year_ago(self) -> "Period":
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return week_period(year - 1, min(week, _weeks_in(year - 1)))
        first = _same_day_a_year_earlier(self.first)
        if self.kind == "range":
            return Period("range", first, _same_day_a_year_earlier(self.last))
        return period_of(self.kind, first)


def _weeks_in(year: int) -> int:
    return date(year, 12, 28).isocalendar()[1]


def _same_day_a_year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def week_period(year: int, week: int) -> Period:
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError as error:
        raise PeriodError(str(error)) from error
    return Period("week", monday, monday + timedelta(days=6))


def parse_week(text: str) -> Period:
    """'2026-W47' → that ISO week."""
    match = WEEK_RE.match(text or "")
    if not match:
        raise PeriodError("not an ISO week like 2026-W47")
    return week_period(int(match[1]), int(match[2]))


def period_of(kind: str, day: date, *, length: int = 1) -> Period:
    """The period of `kind` that contains `day`; for "range", the `length` days ending on `day`."""
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period("week", monday, monday + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        return Period("month", first, _next_month(first) - timedelta(days=1))
    if kind == "quarter":
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period("quarter", first, _next_month(_next_month(_next_month(first))) - timedelta(days=1))
    if kind == "year":
        return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))
    if kind == "range":
        return Period("range", day - timedelta(days=length - 1), day)
    raise PeriodError(f"unknown period kind {kind!r}")


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def date_range(first: date, last: date) -> Period:
    if last < first:
        raise PeriodError("the end is before the start")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise PeriodError("the range is too long")
    return Period("range", first, last)


def previous_iso_week(today: date) -> Period:
    """The last full ISO week before `today` (the weekly report's week)."""
    return period_of("week", today - timedelta(days=today.weekday() + 1))
