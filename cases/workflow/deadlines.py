"""The case's clock: a new stage's deadline from its category's limit, and the time left kept while the
case is suspended."""

from datetime import UTC, datetime, timedelta

from .. import calendar as cal
from ..models import Case, Category
from ..selectors import calendar_for
from .table import STAGE_OF_STATUS


def _clock(case: Case) -> tuple[str, cal.WorkCalendarSpec]:
    category: Category = case.category
    return category.clock_type, calendar_for(category)


def start_stage(case: Case, now: datetime) -> None:
    """A new stage starts now: set its deadline from the category's limit, clear the overdue mark."""
    stage = STAGE_OF_STATUS.get(case.status)
    if stage is None:
        case.deadline = None
        case.overdue = False
        return
    clock, calendar = _clock(case)
    deadline = cal.deadline_after(now, case.category.limit_for(stage), clock, calendar)
    if deadline is not None:
        deadline = deadline.astimezone(UTC)  # as read back from the database: events show it alike
    setattr(case, f"{stage}_deadline", deadline)
    case.deadline = deadline
    case.overdue = False


def pause_clock(case: Case, now: datetime) -> None:
    if case.deadline is None:
        case.paused_remaining_seconds = None
    else:
        clock, calendar = _clock(case)
        left = cal.clock_time_between(now, case.deadline, clock, calendar)
        case.paused_remaining_seconds = int(left.total_seconds())
    case.suspended_at = now
    case.deadline = None


def resume_clock(case: Case, now: datetime) -> None:
    if case.suspended_at is not None:
        case.suspended_seconds += max(int((now - case.suspended_at).total_seconds()), 0)
    stage = STAGE_OF_STATUS.get(case.status)
    if case.paused_remaining_seconds is not None and stage is not None:
        clock, calendar = _clock(case)
        deadline = cal.add_clock_time(now, timedelta(seconds=case.paused_remaining_seconds), clock, calendar)
        setattr(case, f"{stage}_deadline", deadline)
        case.deadline = deadline
    case.suspended_at = None
    case.paused_remaining_seconds = None
