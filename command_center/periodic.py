"""Periodic jobs on a timer thread, for the standalone profile (the district profile runs celery beat).

Both read the same list, settings.PERIODIC_JOBS, so a sweep added there runs in both profiles.
"""

import logging
import threading
import time

from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class PeriodicJobs:
    def __init__(self, jobs: list[tuple[str, int]]) -> None:
        self.jobs = jobs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="periodic-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        now = time.monotonic()
        due = {name: now + every for name, every in self.jobs}
        while not self._stop.wait(1.0):
            for name, every in self.jobs:
                if time.monotonic() >= due[name]:
                    due[name] = time.monotonic() + every
                    self.run_job(name)

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
