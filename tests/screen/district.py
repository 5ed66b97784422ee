"""The district processes for the wall screen's browser tests and benchmark: daphne (HTTP and WebSocket),
`manage.py mqtt_listen` and a Celery worker, started as children on the test database."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import paho.mqtt.client as mqtt
import redis
from django.conf import settings
from django.db import connections
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import ROOT, child_env, free_port, wait_for_port

T = TypeVar("T")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def in_thread(fn: Callable[..., T], *args: object) -> T:
    """Run ORM code in a thread of its own while Playwright's event loop runs in this one.

    Django refuses ORM calls where an event loop runs, and a connection opened inside that loop's
    context would outlive the test and keep the test database from being dropped.
    """

    def call() -> T:
        try:
            return fn(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result()


def wait_until(condition: Callable[[], object], timeout: float = 15.0, every: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Child:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None

    def start(self) -> "Child":
        out = self.log.open("a")
        # Its own process group, so stopping it stops its children (Celery's pool) too.
        self.popen = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True
        )
        return self

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        group = self.popen.pid
        os.killpg(group, signal.SIGTERM)
        try:
            self.popen.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.popen.wait(5)
        # Celery's pool processes may outlive their parent by a moment: wait for the whole group, so
        # none holds a connection to the test database when it is dropped.
        if not wait_until(lambda: not _group_alive(group), timeout=10, every=0.1):
            with suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)


@dataclass
class District:
    broker: dict
    tmp_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    children: dict[str, Child] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return child_env(
            MQTT_URL=f"mqtt://{self.broker['host']}:{self.broker['port']}",
            STATIC_MANIFEST="0",
            LOG_LEVEL="WARNING",
            **self.extra_env,
        )

    def start(self) -> "District":
        purge_celery_queues()
        self.port = self.port or free_port()
        python = sys.executable
        celery = shutil.which("celery", path=str(Path(python).parent)) or "celery"
        commands = {
            "daphne": [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "command_center.asgi:application"],
            "listener": [python, "manage.py", "mqtt_listen", "--client-id", f"screen-test-{self.port}"],
            "worker": [celery, "-A", "command_center", "worker", "-Q", "ingest,cases,notify,reports", "-c", "2",
                       "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
        }  # fmt: skip
        for name, args in commands.items():
            self.children[name] = Child(name, args, self.env(), self.tmp_path / f"{name}.log").start()
        wait_for_port("127.0.0.1", self.port, timeout=30)
        time.sleep(3)  # the listener subscribes, the worker declares its queues
        return self

    def restart(self, name: str) -> None:
        child = self.children[name]
        child.stop()
        child.start()
        if name == "daphne":
            wait_for_port("127.0.0.1", self.port, timeout=30)

    def stop(self) -> None:
        for child in self.children.values():
            child.stop()

    def logs(self) -> str:
        return "\n".join(
            f"--- {c.name}\n{c.log.read_text()[-3000:]}" for c in self.children.values() if c.log.exists()
        )


class Daphne:
    """daphne alone (HTTP and WebSocket) on the test database: pages and sockets, no ingest."""

    def __init__(self, tmp_path: Path, **extra_env: str) -> None:
        self.port = free_port()
        env = child_env(STATIC_MANIFEST="0", LOG_LEVEL="WARNING", **extra_env)
        args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                "command_center.asgi:application"]  # fmt: skip
        self.child = Child("daphne", args, env, tmp_path / "daphne.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Daphne":
        self.child.start()
        wait_for_port("127.0.0.1", self.port, timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.child.stop()


def logged_in_page(browser, url: str, username: str, path: str, password: str):  # type: ignore[no-untyped-def]
    """A 1920×1080 page in Chinese, logged in through the login form and on `path`. It records page
    errors (`page.errors`) and Content-Security-Policy violations (`window.__violations`)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    context.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(f"{url}/accounts/login/?next={path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
    return page


def purge_celery_queues() -> None:
    """Tasks left in this run's Redis db by earlier tests would refer to rows that no longer exist."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("ingest", "cases", "notify", "reports", "unacked", "unacked_index")


class Sensors:
    """Device-side paho client: protocol v1 messages, QoS 1."""

    def __init__(self, broker: dict, client_id: str = "screen-test-sensors") -> None:
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.connect(broker["host"], broker["port"])
        self.client.loop_start()
        self.sent = 0

    def send(self, code: str, *, type: str = "smoke", value: float | None = 1, wait: bool = True) -> None:
        self.sent += 1
        body = {"id": f"screen-{time.time_ns()}-{self.sent}", "ts": timezone.now().isoformat(), "type": type}
        if value is not None:
            body["value"] = value
        info = self.client.publish(f"sensors/{code}/data", json.dumps(body).encode(), qos=1)
        if wait:
            info.wait_for_publish(10)

    def close(self) -> None:
        with suppress(Exception):
            self.client.disconnect()
            self.client.loop_stop()
