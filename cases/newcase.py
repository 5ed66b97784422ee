"""A case being created, before its single INSERT: what the workflow and the escalation steps keep on
it meanwhile. Below both, so that neither imports the other for it."""

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from accounts.models import User

from .models import Case, CaseEscalation, CaseEvent


class Firing(NamedTuple):
    """A step of a new case fired before the case was inserted (its fire count and time are on it): its
    notifications are written after."""

    step: CaseEscalation
    users: list[User]


@dataclass
class NewCase:
    """A case services.create_case is building, with its escalation steps. It is not in the database
    until insert_new_case(): its first transitions (file, dispatch) change it in memory and keep their
    events and realtime messages, so the case is written once, by one INSERT, in its final state."""

    case: Case
    escalations: list[CaseEscalation]
    events: list[CaseEvent] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    firings: list[Firing] = field(default_factory=list)  # steps fired: notifications to write
