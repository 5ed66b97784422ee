"""Cases: the closed loop discover → file → dispatch → handle → verify → close (issue 4).

Catalogue (categories, work calendar, escalation policies, dispatch rules) is data edited in the admin;
the case machine is in workflow/ (the only code that assigns `Case.status`), deadline arithmetic in
calendar.py, writes in services.py, reads in selectors.py. One module per concern, all re-exported here.
"""

from .calendar import CalendarDay, CalendarYear, WorkCalendar
from .case import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    TIMED_STATUSES,
    Case,
    CaseEscalation,
    CaseEvent,
    CasePhoto,
    photo_path,
)
from .catalogue import Category, DispatchRule, EscalationPolicy, EscalationStep, validate_channels
from .choices import (
    SEVERITY_PRIORITY,
    Channel,
    ClockType,
    NotifyTarget,
    Severity,
    Stage,
    StepAnchor,
    StepUntil,
)
from .idempotency import IdempotentRequest
from .notifications import Notification, NotificationAttempt

__all__ = [
    "FINAL_STATUSES",
    "OPEN_STATUSES",
    "SEVERITY_PRIORITY",
    "TIMED_STATUSES",
    "CalendarDay",
    "CalendarYear",
    "Case",
    "CaseEscalation",
    "CaseEvent",
    "CasePhoto",
    "Category",
    "Channel",
    "ClockType",
    "DispatchRule",
    "EscalationPolicy",
    "EscalationStep",
    "IdempotentRequest",
    "Notification",
    "NotificationAttempt",
    "NotifyTarget",
    "Severity",
    "Stage",
    "StepAnchor",
    "StepUntil",
    "WorkCalendar",
    "photo_path",
    "validate_channels",
]
