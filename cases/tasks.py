"""Celery tasks: thin wrappers taking ids, idempotent, enqueued after commit."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from . import services

# The sending tasks live with delivery (notify.py), below the code that enqueues them; named here.
from .notify import send_notification, send_notifications

__all__ = ["escalate_case", "send_notification", "send_notifications", "sweep_deadlines"]


@shared_task(name="cases.tasks.sweep_deadlines")
def sweep_deadlines(at: str | None = None) -> dict[str, int]:
    """The beat job (settings.PERIODIC_JOBS). `at` (ISO 8601) replaces "now", for drills and tests."""
    now = parse_datetime(at) if at else None
    return services.sweep_deadlines(now=now)


@shared_task(name="cases.tasks.escalate_case")
def escalate_case(case_id: int) -> int:
    """Fire a case's due steps now. Kept for tasks queued before new cases fired their steps due at
    once as they were created (services._fire_due_steps); nothing queues it any more."""
    return services.fire_due_escalations(case_id=case_id)
