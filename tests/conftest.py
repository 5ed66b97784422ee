"""Fixtures shared by every app's tests. Tests run on the real PostgreSQL, Redis and Mosquitto (make test)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parent.parent

# Processes the tests start serve static files by plain names, without collectstatic.
os.environ.setdefault("STATIC_MANIFEST", "0")

# A suite started in the background (`nohup make test &`, `&` in a script) inherits SIGINT ignored, and
# so would every process it starts: the tests that stop a command with Ctrl-C would wait in vain. With a
# handler here, the children start with SIGINT at its default (exec resets handled signals).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_configure(config) -> None:  # type: ignore[no-untyped-def]
    """The same for this process, whose settings pytest-django loaded before this file."""
    from django.test.utils import override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages, WHITENOISE_USE_FINDERS=True, STATIC_MANIFEST=False).enable()


def pytest_collection_modifyitems(config, items) -> None:  # type: ignore[no-untyped-def]
    """`make test` runs the suite twice: on the real services (district) and on the standalone profile
    (SQLite, no Redis, no external broker). A test marked `district("why")` runs only in the first; the
    reason is required, and pytest prints it with the skip."""
    standalone = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    for item in items:
        marker = item.get_closest_marker("district")
        if marker is None:
            continue
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.district needs a reason")
        if standalone:
            item.add_marker(pytest.mark.skip(reason=f"district profile only: {reason}"))


@pytest.fixture(scope="session", autouse=True)
def _end_other_threads_connections(django_db_setup, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Channels runs `database_sync_to_async` in asgiref's worker threads, and each keeps its connection
    for CONN_MAX_AGE (600 s). At the end of a whole run one of them still held the test database, which
    pytest-django then could not drop ("being accessed by other users"). This fixture's teardown runs
    before that drop and ends those sessions: only this process's own idle threads are left by then."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Lockout counters and rate limits live in the cache (Redis): start each test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_catalogue() -> Iterator[None]:
    """Catalogues are kept in per-process caches; a test's rollback sends no signal to clear them."""
    from command_center.caching import ProcessCache

    ProcessCache.clear_all()
    yield
    ProcessCache.clear_all()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_user(db):  # type: ignore[no-untyped-def]
    """make_user(role=..., **fields) -> a saved user whose password is `password`."""

    def make(**fields):  # type: ignore[no-untyped-def]
        return UserFactory(**fields)

    return make


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process (celery worker, mqtt_listen, runcenter) using the test database."""
    env = dict(os.environ)
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        user = db.get("USER") or "postgres"
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{db['NAME']}"
    else:  # the standalone profile: the test database is a file the child opens too
        env["SQLITE_PATH"] = str(db["NAME"])
    env["PYTHONPATH"] = str(ROOT)
    # A child given a service URL is in the district profile, which needs a key.
    env.setdefault("SECRET_KEY", settings.SECRET_KEY)
    env.update(extra)
    return env


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def page_assets(html: str) -> list[str]:
    """Every src and href in a page: scripts, stylesheets, icons and links."""
    return re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html)


def offsite_assets(html: str) -> list[str]:
    """Scripts and stylesheets a page would fetch from another host (a CDN); we serve our own."""
    return [url for url in page_assets(html) if "://" in url or url.startswith("//")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def celery_worker_process(transactional_db) -> Iterator[subprocess.Popen]:  # type: ignore[no-untyped-def]
    """A real Celery worker on the test database (needs REDIS_URL). Data must be committed to be seen."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: tasks run inline")
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    proc = subprocess.Popen(
        [celery, "-A", "command_center", "worker", "-Q", "ingest,cases,notify,reports",
         "-c", "2", "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
        cwd=ROOT,
        env=child_env(),
    )  # fmt: skip
    time.sleep(3)  # the worker connects and declares its queues
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def private_mosquitto(tmp_path) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    """A Mosquitto of its own on a free port, for tests that must not share the machine's broker
    (listeners with shared subscriptions, kill -9 runs, credentials). Yields host, port, conf path."""
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 100000\nmax_inflight_messages 1000\n"
    )
    proc = subprocess.Popen(
        [mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port("127.0.0.1", port)
        yield {"host": "127.0.0.1", "port": port, "conf": conf, "process": proc}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
