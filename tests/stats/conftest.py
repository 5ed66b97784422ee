"""Fixtures of the stats tests: cases and their events written directly (hand-computed fixtures)."""

from datetime import datetime
from typing import Any

import pytest
from django.utils import translation

from cases.models import Case, CaseEvent
from stats.periods import SHANGHAI
from tests.cases.factories import CaseFactory


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def at(text: str) -> datetime:
    """'2026-11-16 09:00' in Shanghai time."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def case(**fields: Any) -> Case:
    created = fields.pop("created_at", at("2026-11-16 09:00"))
    return CaseFactory(created_at=created, stage_started_at=created, **fields)  # type: ignore[no-any-return]


def event(of: Case, action: str, when: str, *, to: str = "", overdue: bool = False) -> CaseEvent:
    return CaseEvent.objects.create(
        case=of,
        action=action,
        to_status=to or of.status,
        actor_role="dispatcher",
        at=at(when),
        overdue=overdue,
    )
