"""Periodic jobs on a timer thread, for the standalone profile (the district profile runs celery beat).

Both read the same list, settings.PERIODIC_JOBS, so a sweep added there runs in both profiles. The thread
also logs the throughput once a minute (INFO), in place of Celery's line per task (DEBUG, settings.LOGGING).
"""

import logging
import threading
import time
from typing import Any

from celery.signals import task_success
from django.core.cache import cache
from django.db import close_old_connections
from django.db.models import Count, Max
from django.utils.module_loading import import_string

from cases.models import Case
from devices.models import Alarm
from devices.selectors import RATE_KEY

logger = logging.getLogger(__name__)

REPORT_EVERY = 60  # seconds between throughput lines


class Throughput:
    """What the platform did since the last line: messages received (the listeners' per-second counters
    in the cache, also the screen's rate), processed (this process's process_inbox tasks), alarms raised
    and cases reported (new rows, by primary key)."""

    PROCESS_TASK = "devices.tasks.process_inbox"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processed = 0
        self._since = time.time()
        self._last_ids = self._max_ids()
        task_success.connect(self._on_task_success, weak=False)

    def close(self) -> None:
        task_success.disconnect(self._on_task_success)

    def _on_task_success(self, sender: Any = None, result: Any = None, **kwargs: Any) -> None:
        if getattr(sender, "name", "") == self.PROCESS_TASK and isinstance(result, int):
            with self._lock:
                self._processed += result

    @staticmethod
    def _models() -> dict[str, Any]:
        return {"alarms": Alarm, "cases": Case}

    def _max_ids(self) -> dict[str, int]:
        return {
            name: model.objects.aggregate(n=Max("id"))["n"] or 0 for name, model in self._models().items()
        }

    def _new_rows(self) -> dict[str, int]:
        counts = {}
        for name, model in self._models().items():
            new = model.objects.filter(id__gt=self._last_ids[name]).aggregate(n=Count("id"), last=Max("id"))
            counts[name] = new["n"]
            self._last_ids[name] = new["last"] or self._last_ids[name]
        return counts

    @staticmethod
    def _received(start: float, end: float) -> int:
        keys = [RATE_KEY.format(second=second) for second in range(int(start), int(end))]
        return sum(int(value) for value in cache.get_many(keys).values())

    def line(self) -> str | None:
        """The line for the time since the last call; None when nothing happened."""
        now = time.time()
        with self._lock:
            processed, self._processed = self._processed, 0
        received = self._received(self._since, now)
        rows = self._new_rows()
        seconds, self._since = now - self._since, now
        if not (received or processed or rows["alarms"] or rows["cases"]):
            return None
        return (
            f"throughput, last {seconds:.0f} s: {received} messages received ({received / seconds:.1f}/s), "
            f"{processed} processed, {rows['alarms']} alarms raised, {rows['cases']} cases reported"
        )


class PeriodicJobs:
    def __init__(self, jobs: list[tuple[str, int]], *, report_every: float = REPORT_EVERY) -> None:
        self.jobs = jobs
        self.report_every = report_every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="periodic-jobs", daemon=True)
        self._throughput: Throughput | None = None

    def start(self) -> None:
        self._throughput = Throughput()
        close_old_connections()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        if self._throughput is not None:
            self._throughput.close()

    def _run(self) -> None:
        now = time.monotonic()
        due = {name: now + every for name, every in self.jobs}
        report_due = now + self.report_every
        while not self._stop.wait(1.0):
            for name, every in self.jobs:
                if time.monotonic() >= due[name]:
                    due[name] = time.monotonic() + every
                    self.run_job(name)
            if time.monotonic() >= report_due:
                report_due = time.monotonic() + self.report_every
                self.report()

    def report(self) -> None:
        if self._throughput is None:
            return
        try:
            line = self._throughput.line()
            if line:
                logger.info(line)
        except Exception:
            logger.exception("the throughput line failed")
        finally:
            close_old_connections()

    @staticmethod
    def run_job(name: str) -> None:
        try:
            task = import_string(name)
            task.apply(throw=True)  # run here and now, like beat's worker would
        except ImportError:
            logger.warning("periodic job %s does not exist", name)
        except Exception:
            logger.exception("periodic job %s failed", name)
        finally:
            close_old_connections()
