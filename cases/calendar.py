"""Deadline arithmetic over the work calendar. Pure: no Django, no database.

Four clocks (ClockType):
- urgent: continuous time, limits in minutes;
- work_hours: only time inside the work windows of work days counts, limits in minutes;
- work_days: a limit of N days is N full work days of work time, so 1 work day from Monday 10:00 ends
  Tuesday 10:00 and from Friday 10:00 ends on the next work day at 10:00;
- natural_days: continuous time, limits in days of 24 hours.
A work day is a weekday of the work week that is not a holiday, or a make-up workday (调休), whatever its
weekday. The calendar is data edited every year (the State Council's notice).

`clock_seconds_between` and `add_clock_seconds` measure and spend time on a clock; suspending a case
stores the clock time left and resuming spends it again from the resume time, so a suspension pauses
every clock.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A calendar with no work time would loop for ever: stop looking after ten years.
MAX_DAYS = 3660

URGENT = "urgent"
WORK_HOURS = "work_hours"
WORK_DAYS = "work_days"
NATURAL_DAYS = "natural_days"
CLOCKS = (URGENT, WORK_HOURS, WORK_DAYS, NATURAL_DAYS)


class CalendarError(ValueError):
    """The calendar or the arguments do not allow the computation (clear message, never a hang)."""


@dataclass(frozen=True)
class WorkCalendarSpec:
    windows: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 0)))
    workweek: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # date.weekday(): 0 = Monday
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # make-up workdays (调休)
    tz: ZoneInfo = SHANGHAI

    def __post_init__(self) -> None:
        previous_end: time | None = None
        for start, end in self.windows:
            if not start < end or (previous_end is not None and start < previous_end):
                raise CalendarError("work windows must be ordered and must not overlap")
            previous_end = end
        if self.holidays & self.workdays:
            raise CalendarError("a date cannot be both a holiday and a make-up workday")

    @classmethod
    def build(
        cls,
        *,
        windows: Iterable[tuple[time, time]],
        workweek_iso: str = "12345",
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        tz: ZoneInfo = SHANGHAI,
    ) -> "WorkCalendarSpec":
        return cls(
            windows=tuple(windows),
            workweek=frozenset(int(digit) - 1 for digit in workweek_iso),
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            tz=tz,
        )

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() in self.workweek

    @property
    def day_length(self) -> timedelta:
        return sum((_span(start, end) for start, end in self.windows), timedelta())

    def windows_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_workday(day):
            return []
        return [
            (datetime.combine(day, start, tzinfo=self.tz), datetime.combine(day, end, tzinfo=self.tz))
            for start, end in self.windows
        ]

    def is_work_time(self, moment: datetime) -> bool:
        local = _local(moment, self.tz)
        return any(start <= local < end for start, end in self.windows_on(local.date()))


def _span(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError("naive datetime: deadlines need aware datetimes")
    return moment.astimezone(tz)


def add_work_time(start: datetime, amount: timedelta, calendar: WorkCalendarSpec) -> datetime:
    """The moment when `amount` of work time after `start` has been spent.

    A deadline that uses up a window ends at that window's end (12:00, not 13:00), so adding in two
    steps gives the same moment as adding at once.
    """
    local = _local(start, calendar.tz)
    if amount <= timedelta():
        return local
    if not calendar.windows:
        raise CalendarError("the calendar has no work windows")
    remaining = amount
    day = local.date()
    for _ in range(MAX_DAYS):
        for window_start, window_end in calendar.windows_on(day):
            begin = max(window_start, local)
            if begin >= window_end:
                continue
            available = window_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise CalendarError("no work time within ten years: check the calendar's work week and holidays")


def work_time_between(start: datetime, end: datetime, calendar: WorkCalendarSpec) -> timedelta:
    """Work time inside [start, end); zero when end is not after start."""
    local_start, local_end = _local(start, calendar.tz), _local(end, calendar.tz)
    total = timedelta()
    if local_end <= local_start:
        return total
    day = local_start.date()
    while day <= local_end.date():
        for window_start, window_end in calendar.windows_on(day):
            begin, finish = max(window_start, local_start), min(window_end, local_end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def limit_to_clock_time(limit: int, clock: str, calendar: WorkCalendarSpec) -> timedelta:
    """A category's limit (minutes or days, by clock) as an amount of clock time."""
    if limit < 0:
        raise CalendarError("a time limit cannot be negative")
    if clock in (URGENT, WORK_HOURS):
        return timedelta(minutes=limit)
    if clock == WORK_DAYS:
        return calendar.day_length * limit
    if clock == NATURAL_DAYS:
        return timedelta(days=limit)
    raise CalendarError(f"unknown clock type {clock!r}")


def add_clock_time(start: datetime, amount: timedelta, clock: str, calendar: WorkCalendarSpec) -> datetime:
    if clock in (URGENT, NATURAL_DAYS):
        return _local(start, calendar.tz) + max(amount, timedelta())
    if clock in (WORK_HOURS, WORK_DAYS):
        return add_work_time(start, amount, calendar)
    raise CalendarError(f"unknown clock type {clock!r}")


def clock_time_between(start: datetime, end: datetime, clock: str, calendar: WorkCalendarSpec) -> timedelta:
    if clock in (URGENT, NATURAL_DAYS):
        return max(_local(end, calendar.tz) - _local(start, calendar.tz), timedelta())
    if clock in (WORK_HOURS, WORK_DAYS):
        return work_time_between(start, end, calendar)
    raise CalendarError(f"unknown clock type {clock!r}")


def deadline_after(
    start: datetime, limit: int | None, clock: str, calendar: WorkCalendarSpec
) -> datetime | None:
    """The deadline of a stage that starts at `start`; None when the stage has no limit."""
    if limit is None:
        return None
    return add_clock_time(start, limit_to_clock_time(limit, clock, calendar), clock, calendar)
