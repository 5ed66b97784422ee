"""The standalone profile's terminal: Celery's line per task only at DEBUG, one throughput line a minute
from the periodic jobs' thread."""

import logging
import subprocess
import sys
import time

import pytest

from command_center.periodic import PeriodicJobs, Throughput
from devices.models import Alarm
from devices.services import ingest_messages, open_alarm_cases
from devices.tasks import process_inbox
from tests.conftest import ROOT, child_env
from tests.devices.conftest import received
from tests.devices.factories import SensorPointFactory


def trace_level(log_level: str | None) -> str:
    """celery.app.trace's effective level in a process started with LOG_LEVEL (None: unset)."""
    env = child_env()
    env.pop("LOG_LEVEL", None)
    if log_level:
        env["LOG_LEVEL"] = log_level
    code = (
        "import django, logging; django.setup(); "
        "print(logging.getLevelName(logging.getLogger('celery.app.trace').getEffectiveLevel()))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "command_center.settings"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_celerys_line_per_task_shows_only_at_debug():
    assert trace_level(None) == "WARNING"  # "Task ... succeeded in 0.01s" (INFO) is not printed
    assert trace_level("INFO") == "WARNING"
    assert trace_level("debug") == "INFO"


@pytest.mark.django_db
def test_the_throughput_line_counts_messages_alarms_and_cases():
    from cases.defaults import ensure_default_catalogue

    ensure_default_catalogue()
    throughput = Throughput()
    try:
        point = SensorPointFactory()
        batch = [received(point.code, value=1), received(point.code, value=1), received(point.code, value=0)]
        stored = ingest_messages(messages=batch, enqueue=False).stored
        process_inbox.apply(args=[stored])  # as runcenter runs it: in this process
        open_alarm_cases(alarm_ids=list(Alarm.objects.values_list("id", flat=True)))
        time.sleep(1.05)  # the received counters are per second: the line counts complete ones

        line = throughput.line()
        again = throughput.line()
    finally:
        throughput.close()

    assert line is not None
    assert "3 messages received" in line
    assert "3 processed, 1 alarms raised, 1 cases reported" in line
    assert again is None  # nothing since: no line


@pytest.mark.django_db(transaction=True)
def test_the_periodic_thread_logs_the_line_at_info(caplog):
    jobs = PeriodicJobs([], report_every=1)
    jobs.start()
    try:
        point = SensorPointFactory()
        ingest_messages(messages=[received(point.code, value=0)], enqueue=False)
        with caplog.at_level(logging.INFO, logger="command_center.periodic"):
            deadline = time.monotonic() + 5
            while not caplog.records and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        jobs.stop()

    (record,) = [r for r in caplog.records if r.name == "command_center.periodic"]
    assert record.levelno == logging.INFO
    assert "1 messages received" in record.getMessage()
