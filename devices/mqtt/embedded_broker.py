"""The embedded MQTT broker of the standalone profile (amqtt, MQTT 3.1.1), run in its own thread.

A pilot or a laptop needs no Mosquitto: sensors publish to this one, under the district Mosquitto's rules
(devices/credentials.py, `manage.py mosquitto_auth`): no anonymous clients; a device logs in with its
code and the password issued at registration (the same `$7$` hash, read from the registry at each
connect, so a new device works at once) and publishes only to `sensors/<its code>/data`, subscribing
to nothing. Two service accounts, the ingest listener's (reads sensors/) and the simulator's (publishes
for any device), with random passwords made once into VAR_DIR beside the generated secret key (mode 600),
so `manage.py simulate_sensors` in another process logs in too.

When a broker already listens on the configured port (Mosquitto on a developer machine), runcenter uses
that one instead and probes whether it takes anonymous clients: if so, /health/ and the wall screen
say so (devices/mqtt/broker_status.py).
"""

import asyncio
import json
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from paho.mqtt.enums import CallbackAPIVersion

from devices import credentials
from devices.mqtt.payloads import DEVICE_CODE_RE, TOPIC_PREFIX, TOPIC_SUFFIX
from devices.selectors import device_password_hash

logger = logging.getLogger(__name__)

# Service accounts: '@' is never in a device code, so no device can log in as one.
INGEST_USER = "@ingest"
SIMULATOR_USER = "@simulator"


@dataclass(frozen=True)
class Account:
    username: str
    password: str = field(repr=False)


def service_accounts() -> dict[str, Account]:
    """The embedded broker's service accounts, {username: Account}, made once into VAR_DIR."""
    path = settings.VAR_DIR / "mqtt_service_accounts.json"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            json.dump(
                {name: credentials.generate_password() for name in (INGEST_USER, SIMULATOR_USER)}, handle
            )
    passwords = json.loads(path.read_text())
    return {name: Account(name, passwords[name]) for name in (INGEST_USER, SIMULATOR_USER)}


def port_is_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


# --- Authentication and ACL (amqtt plugins) -------------------------------------------------------


def _device_may_connect(username: str, password: str) -> bool:
    try:
        encoded = device_password_hash(username)
    finally:
        connection.close()  # a pool thread of asgiref's: do not keep a connection for the next device
    return bool(encoded) and credentials.check_password(password, encoded)


class DeviceAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]  # amqtt has no type information
    """Service accounts by their hashes in the config; devices by the registry's hashes."""

    @dataclass
    class Config:
        services: dict[str, str] = field(default_factory=dict)  # username -> $7$ hash

    async def authenticate(self, *, session: Session) -> bool:
        username, password = session.username or "", session.password or ""
        if not username or not password:
            return False  # anonymous
        services: dict[str, str] = self.context.config.services
        if username in services:
            return credentials.check_password(password, services[username])
        if not DEVICE_CODE_RE.match(username):
            return False
        allowed = await sync_to_async(_device_may_connect, thread_sensitive=False)(username, password)
        return bool(allowed)


def _is_device_topic(topic: str) -> bool:
    return (
        topic.startswith(TOPIC_PREFIX)
        and topic.endswith(TOPIC_SUFFIX)
        and bool(DEVICE_CODE_RE.match(topic[len(TOPIC_PREFIX) : -len(TOPIC_SUFFIX)]))
    )


class TopicAclPlugin(BaseTopicPlugin):  # type: ignore[misc]  # amqtt has no type information
    """Mosquitto's ACL (credentials.acl_file) for amqtt: the listener reads sensors/, a device writes only
    its own data topic, the simulator writes any device's data topic."""

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool:
        username = session.username if session is not None else None
        if not username or not topic:
            return False
        if action == Action.SUBSCRIBE:
            return username == INGEST_USER and topic.startswith(TOPIC_PREFIX)
        if action == Action.PUBLISH:
            if username == SIMULATOR_USER:
                return _is_device_topic(topic)
            return username != INGEST_USER and topic == credentials.device_topic(username)
        return bool(action == Action.RECEIVE)  # delivery to a subscription the rules above allowed


# --- The broker -----------------------------------------------------------------------------------


class EmbeddedBroker:
    def __init__(self, *, host: str, port: int) -> None:
        self.host = host
        self.port = port
        accounts = service_accounts()
        self.ingest, self.simulator = accounts[INGEST_USER], accounts[SIMULATOR_USER]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="embedded-mqtt-broker", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._broker: Broker | None = None

    def _config(self) -> dict[str, Any]:
        services = {a.username: credentials.mosquitto_hash(a.password) for a in (self.ingest, self.simulator)}
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                f"{__name__}.DeviceAuthPlugin": {"services": services},
                f"{__name__}.TopicAclPlugin": {},
            },
        }

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._broker = Broker(self._config(), loop=self._loop)
            self._loop.run_until_complete(self._broker.start())
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("the embedded MQTT broker did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the embedded MQTT broker failed to start: {self._error}") from self._error
        logger.info("embedded MQTT broker listening on %s:%s", self.host, self.port)

    def stop(self) -> None:
        if self._broker is None or not self._loop.is_running():
            return
        future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
        try:
            future.result(timeout=10)
        except Exception:
            logger.warning("embedded MQTT broker did not shut down cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


# --- A broker found listening ---------------------------------------------------------------------


def accepts_anonymous(host: str, port: int, timeout: float = 5.0) -> bool:
    """Whether the broker at host:port lets a client connect without a username (MQTT 3.1.1)."""
    answer: dict[str, bool] = {}
    answered = threading.Event()

    def on_connect(client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        answer["accepted"] = not reason_code.is_failure
        answered.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dcc-probe-{uuid.uuid4().hex[:8]}")
    client.on_connect = on_connect
    try:
        client.connect(host, port, keepalive=10)
    except OSError:
        return False
    client.loop_start()
    try:
        answered.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    return answer.get("accepted", False)
