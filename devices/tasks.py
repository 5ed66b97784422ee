"""Celery tasks: thin wrappers taking ids, idempotent, enqueued by name after commit (queueing.py)."""

from typing import Any

from celery import Task, shared_task

from command_center import stamps

from . import processing
from .alarms import cases, sweeps


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def process_inbox(self: Task[Any, Any], ids: list[int]) -> int:
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    if ids and stamps.enabled():
        stamps.stamp("task_started", min(ids), max(ids))  # benchmarks only
    processed = processing.process_inbox(ids=ids, redelivered=redelivered)
    if stamps.enabled():
        stamps.stamp("task_done", processed)  # benchmarks only: bench/ingest.py's flow control
    return processed


@shared_task(acks_late=True, reject_on_worker_lost=True)
def open_alarm_cases(alarm_ids: list[int]) -> int:
    return cases.open_alarm_cases(alarm_ids=alarm_ids)


@shared_task
def sweep_inbox() -> dict[str, int]:
    return sweeps.sweep_inbox()


@shared_task
def sweep_offline_points() -> dict[str, int]:
    """Offline points, dwell reached without a new reading, auto-clear after quiet normal readings."""
    return sweeps.sweep_points()


@shared_task
def purge_old_rows() -> dict[str, int]:
    return sweeps.purge_old_rows()
