"""The case machine: the table (table.py: states × actions → next state, who may), the rules (rules.py:
relation, preconditions, each action's input and evidence), the clock (deadlines.py) and the engine that
applies them (engine.py: apply_transition, the only code that assigns Case.status)."""

from ..errors import (
    ActionForbidden,
    BadInput,
    CaseNotFound,
    IllegalTransition,
    UnknownAction,
    WorkflowError,
)
from ..newcase import NewCase
from .deadlines import start_stage
from .engine import (
    advance_new_case,
    apply_transition,
    broadcast_case,
    case_event_data,
    insert_new_case,
    start_new_case,
)
from .rules import allowed_actions, may_act, role_of
from .table import (
    FIELD_ROLES,
    NOTE_REQUIRED,
    REWORK_NEEDS_NOTE,
    ROLE_LABELS,
    ROLES,
    STAGE_OF_STATUS,
    STATUS_LABELS,
    TRANSITIONS,
    NonStaff,
    Transition,
)

__all__ = [
    "FIELD_ROLES",
    "NOTE_REQUIRED",
    "REWORK_NEEDS_NOTE",
    "ROLES",
    "ROLE_LABELS",
    "STAGE_OF_STATUS",
    "STATUS_LABELS",
    "TRANSITIONS",
    "ActionForbidden",
    "BadInput",
    "CaseNotFound",
    "IllegalTransition",
    "NewCase",
    "NonStaff",
    "Transition",
    "UnknownAction",
    "WorkflowError",
    "advance_new_case",
    "allowed_actions",
    "apply_transition",
    "broadcast_case",
    "case_event_data",
    "insert_new_case",
    "may_act",
    "role_of",
    "start_new_case",
    "start_stage",
]
