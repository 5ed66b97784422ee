"""The standalone profile's embedded broker (amqtt) under the district Mosquitto's rules: device credentials
from the registry, no anonymous clients, a device publishes only to its own topic; the ingest listener
reads sensors/, the simulator publishes for any device. And the probe of a broker found listening."""

import json
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from django.test import override_settings
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from devices.models import DeadLetter, Inbox, SensorPoint
from devices.mqtt.embedded_broker import (
    INGEST_USER,
    SIMULATOR_USER,
    EmbeddedBroker,
    accepts_anonymous,
    service_accounts,
)
from devices.mqtt.listener import IngestListener
from devices.registry import issue_credentials
from devices.services import ingest_messages
from tests.conftest import free_port
from tests.devices.factories import SensorPointFactory
from tests.devices.helpers import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def broker(tmp_path, transactional_db):
    with override_settings(VAR_DIR=tmp_path):
        running = EmbeddedBroker(host="127.0.0.1", port=free_port())
        running.start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def devices(transactional_db):
    points = [
        SensorPointFactory(code="EMB-1"),
        SensorPointFactory(code="EMB-2"),
        SensorPointFactory(code="EMB-OLD"),
    ]
    SensorPointFactory(code="EMB-NOCRED")
    passwords = dict(issue_credentials(point_ids=[p.pk for p in points]))
    SensorPoint.objects.filter(code="EMB-OLD").update(status=SensorPoint.Status.RETIRED)
    return passwords


@pytest.fixture
def listener(broker):
    running = IngestListener(
        host=broker.host, port=broker.port, username=broker.ingest.username, password=broker.ingest.password,
        client_id=f"test-{uuid.uuid4().hex[:8]}", shared_subscription=False,
        store=lambda items: ingest_messages(messages=items, enqueue=False),
    )  # fmt: skip
    running.start()
    assert running.wait_connected(10), "the ingest listener could not log in"
    yield running
    running.stop()


class Client:
    """A paho client (MQTT 3.1.1, as amqtt speaks); `rc` is the broker's answer to the connect."""

    def __init__(self, port: int, username: str = "", password: str = "") -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"c-{uuid.uuid4().hex[:8]}")
        if username:
            self.client.username_pw_set(username, password)
        self.answered = threading.Event()
        self.subscribed = threading.Event()
        self.rc = None
        self.granted: list = []
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.answered.wait(10)

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.rc = reason_code
        self.answered.set()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self.granted = reason_codes
        self.subscribed.set()

    @property
    def accepted(self) -> bool:
        return self.rc is not None and not self.rc.is_failure

    def publish(self, topic: str, msg_id: str) -> None:
        body = {"id": msg_id, "ts": timezone.now().isoformat(), "type": "smoke", "value": 0}
        self.client.publish(topic, json.dumps(body), qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.mark.parametrize(
    ("username", "password_of"),
    [("", None), ("EMB-1", "EMB-2"), ("EMB-OLD", "EMB-OLD"), ("EMB-NOCRED", None), ("nobody", None),
     (INGEST_USER, None), (SIMULATOR_USER, None)],
)  # fmt: skip
def test_anonymous_clients_wrong_passwords_and_retired_points_are_refused(
    broker, devices, username, password_of
):
    client = Client(broker.port, username, devices.get(password_of, "guess-" + uuid.uuid4().hex))
    client.close()

    assert client.rc is not None, "no answer from the broker"
    assert not client.accepted, f"{username or 'anonymous'} connected"


def test_a_device_publishes_only_to_its_own_topic_and_reads_nothing(broker, devices, listener):
    device = Client(broker.port, "EMB-1", devices["EMB-1"])
    assert device.accepted, device.rc
    try:
        device.publish("sensors/EMB-2/data", "foreign")
        device.publish("sensors/EMB-1/status", "elsewhere")
        device.publish("sensors/EMB-1/data", "own")
        device.client.subscribe("sensors/#", qos=1)
        assert device.subscribed.wait(5)

        assert wait_until(lambda: Inbox.objects.filter(msg_id="own").exists())
        assert [code.is_failure for code in device.granted] == [True]
        assert listener.stats["received"] == 1, "the broker let a device publish beyond its own topic"
        assert not DeadLetter.objects.exists()
    finally:
        device.close()


def test_the_simulator_publishes_for_any_device_and_the_listener_publishes_nothing(broker, devices, listener):
    simulator = Client(broker.port, SIMULATOR_USER, broker.simulator.password)
    ingest = Client(broker.port, INGEST_USER, broker.ingest.password)
    try:
        assert simulator.accepted
        assert ingest.accepted
        ingest.publish("sensors/EMB-2/data", "from-the-listener-account")
        simulator.publish("sensors/EMB-2/data", "simulated")

        assert wait_until(lambda: Inbox.objects.filter(msg_id="simulated").exists())
        assert not Inbox.objects.filter(msg_id="from-the-listener-account").exists()
        simulator.client.subscribe("sensors/#", qos=1)
        assert simulator.subscribed.wait(5)
        assert [code.is_failure for code in simulator.granted] == [True]
    finally:
        simulator.close()
        ingest.close()


def test_a_device_registered_while_the_broker_runs_connects_at_once(broker, devices):
    point = SensorPointFactory(code="EMB-NEW")
    ((_, password),) = issue_credentials(point_ids=[point.pk])

    client = Client(broker.port, "EMB-NEW", password)
    client.close()

    assert client.accepted


def test_the_service_accounts_are_made_once_and_kept_private(tmp_path):
    with override_settings(VAR_DIR=tmp_path):
        first, second = service_accounts(), service_accounts()

    assert first == second
    assert first[INGEST_USER].password != first[SIMULATOR_USER].password
    assert oct((tmp_path / "mqtt_service_accounts.json").stat().st_mode & 0o777) == "0o600"


def test_the_probe_tells_an_anonymous_broker_from_the_embedded_one(broker, private_mosquitto):
    assert accepts_anonymous(private_mosquitto["host"], private_mosquitto["port"])
    assert not accepts_anonymous(broker.host, broker.port)
    assert not accepts_anonymous("127.0.0.1", free_port())  # nothing listens
