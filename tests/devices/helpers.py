"""Helpers of the devices integration tests: publish protocol v1 with paho, wait for a condition."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import paho.mqtt.client as mqtt
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import ROOT


def wait_until(condition: Callable[[], object], timeout: float = 15.0, every: float = 0.05) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def wait_for_log(path: Path, text: str, timeout: float = 60.0) -> None:
    """Wait until a child process wrote `text` to its log (e.g. mqtt_listen's "subscribed")."""
    found = wait_until(lambda: path.exists() and text in path.read_text(errors="replace"), timeout, every=0.1)
    if not found:
        tail = path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"
        raise TimeoutError(f"{text!r} not in {path} after {timeout}s:\n{tail}")


class Publisher:
    """A device-side paho client (QoS 1); `publish` waits until the broker acknowledged."""

    def __init__(self, host: str, port: int, *, client_id: str = "", username: str = "", password: str = ""):
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        if username:
            self.client.username_pw_set(username, password)
        self.client.connect(host, port)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes, *, wait: bool = True) -> mqtt.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos=1)
        if wait:
            info.wait_for_publish(10)
        return info

    def reading(self, code: str, *, wait: bool = True, **fields: object) -> mqtt.MQTTMessageInfo:
        body = {"ts": timezone.now().isoformat(), "type": "smoke", "value": 0, **fields}
        return self.publish(f"sensors/{code}/data", json.dumps(body).encode(), wait=wait)

    def wait_all(self, infos: Iterable[mqtt.MQTTMessageInfo]) -> None:
        for info in infos:
            info.wait_for_publish(30)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Proc:
    """A child process in its own process group, so kill -9 takes its children too."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> "Proc":
        out = self.log.open("a")
        self.popen = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True
        )
        return self

    def kill9(self) -> None:
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
