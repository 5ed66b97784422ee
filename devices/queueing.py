"""Enqueue the devices' Celery tasks by name: tasks.py imports the writes, so the writes do not import it
(no cycle). AppConfig.ready imports tasks.py, so every process has them registered."""

from collections.abc import Sequence

from celery import current_app

PROCESS_CHUNK = 500  # ids per task
PROCESS_INBOX = "devices.tasks.process_inbox"
OPEN_ALARM_CASES = "devices.tasks.open_alarm_cases"  # on the cases queue


def delay_in_chunks(task_name: str, ids: Sequence[int]) -> None:
    task = current_app.tasks[task_name]
    for start in range(0, len(ids), PROCESS_CHUNK):
        task.delay(list(ids[start : start + PROCESS_CHUNK]))
