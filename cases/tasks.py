"""Celery tasks: thin wrappers taking ids, idempotent, enqueued after commit."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from . import notify, services


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


@shared_task(name="cases.tasks.send_notifications")
def send_notifications(notification_ids: list[int]) -> list[str]:
    """One task for the notifications one action created: a task cost the worker more CPU than a
    delivery. Each is delivered and recorded on its own (notify.deliver); the sweep requeues any left."""
    return [notify.deliver(notification_id) for notification_id in notification_ids]


@shared_task(name="cases.tasks.send_notification")
def send_notification(notification_id: int) -> str:
    """One notification (tasks queued before send_notifications existed)."""
    return notify.deliver(notification_id)
