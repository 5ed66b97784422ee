"""simulate_sensors: protocol-v1 messages on the right topics, at the requested rate, alarms and storms."""

import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO

import paho.mqtt.client as mqtt
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from paho.mqtt.enums import CallbackAPIVersion

from devices import simulator as sim
from devices.catalogue import ensure_default_scenes
from devices.models import Scene, SensorPoint
from devices.mqtt.payloads import parse_message
from devices.simulator import SensorSimulator, SimPoint, SimulatorError, TokenBucket
from tests.conftest import ROOT, child_env, free_port
from tests.factories import CompoundFactory

TOPIC = re.compile(r"^sensors/([^/+#]+)/data$")
PROTOCOL_TYPES = {
    "smoke",
    "temperature",
    "water_pressure",
    "geomagnetic",
    "noise",
    "water_level",
    "door",
    "sos",
}
SHANGHAI_OFFSET = timedelta(hours=8)


class Subscriber:
    """A plain paho subscriber collecting everything under sensors/+/data."""

    def __init__(self, host: str, port: int) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_connect = lambda client, *args: client.subscribe("sensors/+/data", qos=1)
        self.client.connect(host, port)
        self.client.loop_start()
        assert self._subscribed.wait(10), "the subscriber did not get its SUBACK"

    def _on_message(self, client, userdata, message) -> None:  # type: ignore[no-untyped-def]
        with self._lock:
            self.messages.append((message.topic, message.payload))

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def bodies(self) -> list[tuple[str, dict]]:
        with self._lock:
            return [(TOPIC.match(topic).group(1), json.loads(payload)) for topic, payload in self.messages]  # type: ignore[union-attr]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def subscriber(private_mosquitto) -> Iterator[Subscriber]:  # type: ignore[no-untyped-def]
    sub = Subscriber(private_mosquitto["host"], private_mosquitto["port"])
    yield sub
    sub.close()


@pytest.fixture
def demo_points(db) -> list[SensorPoint]:  # type: ignore[no-untyped-def]
    """Three compounds of ten smoke detectors each, and a few points of every other scene on the street."""
    ensure_default_scenes()
    scenes = {scene.code: scene for scene in Scene.objects.all()}
    rows = []
    for c in range(3):
        compound = CompoundFactory()
        rows += [
            SensorPoint(code=f"SIM-YG-{c}-{n}", scene=scenes["smoke"], sensor_type="smoke",
                        lat=compound.centre_lat, lng=compound.centre_lng, compound=compound)
            for n in range(10)
        ]  # fmt: skip
    for code, scene in scenes.items():
        rows += [
            SensorPoint(
                code=f"SIM-{code}-{n}", scene=scene, sensor_type=scene.sensor_type, lat=31.27, lng=121.48
            )
            for n in range(3)
        ]
    rows.append(SensorPoint(code="SIM-RETIRED", scene=scenes["smoke"], sensor_type="smoke", lat=31.27,
                            lng=121.48, status=SensorPoint.Status.RETIRED))  # fmt: skip
    return SensorPoint.objects.bulk_create(rows)


def make_simulator(broker: dict, **options) -> SensorSimulator:  # type: ignore[no-untyped-def]
    return SensorSimulator(host=broker["host"], port=broker["port"], username="", password="", **options)


def assert_protocol_v1(code: str, body: dict, codes: set[str]) -> None:
    """What DESIGN.md "Device protocol v1" says a device sends."""
    assert code in codes
    assert set(body) <= {"id", "ts", "type", "value", "battery"}
    assert {"id", "ts", "type"} <= set(body)
    assert isinstance(body["id"], str)
    assert 0 < len(body["id"]) <= 64
    ts = datetime.fromisoformat(body["ts"])
    assert ts.utcoffset() == SHANGHAI_OFFSET
    assert abs((ts - datetime.now(ts.tzinfo)).total_seconds()) < 60
    kind = body["type"]
    if kind == "heartbeat":
        assert "value" not in body
    else:
        assert kind in PROTOCOL_TYPES
        value = body["value"]
        assert isinstance(value, int | float)
        assert not isinstance(value, bool)
        if kind in {"smoke", "geomagnetic", "door"}:
            assert value in (0, 1)
        if kind == "sos":
            assert value == 1
    if "battery" in body:
        assert isinstance(body["battery"], int)
        assert 0 <= body["battery"] <= 100
    assert len(json.dumps(body).encode()) <= 4096


def parse_with_ingest_parser(topic: str, payload: bytes) -> None:
    """The ingest side's parser (devices/mqtt/payloads.py) accepts every message as sent."""
    body = json.loads(payload)
    message = parse_message(topic, payload, now=datetime.now(UTC))
    assert (message.device_code, message.msg_id, message.type) == (
        TOPIC.match(topic).group(1),
        body["id"],
        body["type"],
    )  # type: ignore[union-attr]
    assert message.value == body.get("value")


def test_messages_are_protocol_v1_on_the_point_topics_at_the_requested_rate(
    demo_points, private_mosquitto, subscriber
):
    active = {p.code for p in demo_points if p.status == SensorPoint.Status.ACTIVE}
    simulator = make_simulator(private_mosquitto, rate=100, seed=7)
    started = time.monotonic()
    simulator.start()
    time.sleep(3)
    simulator.stop()
    elapsed = time.monotonic() - started

    sent = sum(simulator.sent.values())
    subscriber.wait_for(sent)
    bodies = subscriber.bodies()
    # QoS 1 and a clean stop: everything sent arrived; the token bucket held the rate.
    assert len(bodies) == sent
    assert 0.8 * 100 * elapsed <= sent <= 1.1 * 100 * elapsed
    assert simulator.unacked == 0
    for code, body in bodies:
        assert_protocol_v1(code, body, active)
    with subscriber._lock:
        for topic, payload in subscriber.messages:
            parse_with_ingest_parser(topic, payload)
    ids = [(code, body["id"]) for code, body in bodies]
    assert len(set(ids)) == len(ids)
    # The round robin visits every active point, never a retired one.
    assert {code for code, _ in bodies} == active
    assert sum(1 for _, body in bodies if body["type"] == "heartbeat") > len(bodies) / 5
    # Nothing more after stop().
    count = subscriber.count()
    time.sleep(0.5)
    assert subscriber.count() == count


def test_storm_sends_smoke_alarms_compound_by_compound(demo_points, private_mosquitto, subscriber):
    compound_of = {p.code: p.compound_id for p in demo_points}
    simulator = make_simulator(private_mosquitto, rate=500, storm=True, storm_size=20, seed=3)
    simulator.start()
    time.sleep(1)
    simulator.stop()

    subscriber.wait_for(sum(simulator.sent.values()))
    alarms = [code for code, body in subscriber.bodies() if body["type"] == "smoke" and body["value"] == 1]
    assert len(set(alarms)) >= 20
    storm = alarms[:20]
    assert len(set(storm)) == 20
    # Whole compounds at a time, as a cluster rule sees a real fire: a compound's alarms come together.
    compounds = [compound_of[code] for code in storm]
    for compound in set(compounds) - {None}:
        where = [i for i, c in enumerate(compounds) if c == compound]
        assert where == list(range(where[0], where[0] + len(where)))
    assert any(compounds.count(c) >= 3 for c in set(compounds) - {None})


def test_an_incident_sends_its_alarm_then_a_normal_value(
    demo_points, private_mosquitto, subscriber, monkeypatch
):
    monkeypatch.setattr(sim, "INCIDENTS", [sim.Incident("water_pressure", 1, 0.03, 0.09, (0.02, 0.02))])
    simulator = make_simulator(private_mosquitto, rate=50, incident_interval=0.3, seed=11)
    simulator.start()
    time.sleep(3)
    simulator.stop()

    subscriber.wait_for(sum(simulator.sent.values()))
    pressures = [
        (code, body["value"]) for code, body in subscriber.bodies() if body["type"] == "water_pressure"
    ]
    low = [code for code, value in pressures if value < 0.10]
    assert low, pressures
    # Abnormal and normal values never blur: below the GB 50974 limit or well above it.
    assert all(value < 0.10 or value >= 0.18 for _, value in pressures)
    readings = [value for code, value in pressures if code == low[0]]
    assert readings[0] < 0.10
    assert any(value >= 0.18 for value in readings[1:])  # back to normal once the incident ended (1.2 s)
    assert simulator.sent["alarm"] >= 1
    assert simulator.sent["clear"] >= 1


def test_noise_alarms_only_at_night():
    night = datetime(2026, 11, 21, 23, 30, tzinfo=sim.SHANGHAI)
    day = datetime(2026, 11, 21, 10, 0, tzinfo=sim.SHANGHAI)
    assert sim.is_night(night)
    assert sim.is_night(night.replace(hour=5))
    assert not sim.is_night(day)
    simulator = SensorSimulator(host="127.0.0.1", port=1, rate=10, points=[SimPoint("N1", "noise")], seed=1)
    simulator._by_type = {"noise": [SimPoint("N1", "noise")]}
    for _ in range(20):
        simulator._start_incident(0.0, day)
    assert not simulator._scheduled  # no daytime noise incident
    simulator._start_incident(0.0, night)
    value = simulator._scheduled[0][4]
    assert value > 45  # over the GB 3096 class 1 night limit
    assert all(sim.normal_value("noise", simulator.rng, night) <= 45 for _ in range(200))


def test_token_bucket_grants_the_rate_and_no_more():
    now = [0.0]
    bucket = TokenBucket(rate=10, capacity=5, clock=lambda: now[0])
    assert bucket.take(100) == 0
    now[0] = 0.35
    assert bucket.take(100) == 3
    now[0] = 100.0  # a long pause saves up only `capacity`
    assert bucket.take(100) == 5
    assert bucket.take(1) == 0
    assert bucket.wait_time() == pytest.approx(0.1)


@pytest.mark.parametrize("rate", [0, -5, 10_000_000])
def test_a_bad_rate_is_refused(rate):
    with pytest.raises(SimulatorError, match="rate"):
        SensorSimulator(host="127.0.0.1", port=1883, rate=rate)


def test_no_points_is_a_clear_error(db, private_mosquitto):
    simulator = make_simulator(private_mosquitto, rate=10)
    with pytest.raises(SimulatorError, match="seed_demo"):
        simulator.start()
    assert not simulator.is_running()


def test_an_unreachable_broker_is_a_clear_error():
    simulator = SensorSimulator(host="127.0.0.1", port=free_port(), rate=10, points=[SimPoint("A", "smoke")])
    with pytest.raises(SimulatorError, match="cannot reach the MQTT broker"):
        simulator.start()
    assert not simulator.is_running()


def test_the_command_uses_the_configured_broker_and_reports(
    demo_points, private_mosquitto, subscriber, settings
):
    settings.MQTT = {**settings.MQTT, "host": private_mosquitto["host"], "port": private_mosquitto["port"]}
    out = StringIO()
    with translation.override("en"):
        call_command("simulate_sensors", "--rate", "40", "--duration", "1.5", stdout=out)

    output = out.getvalue()
    sent = int(re.search(r"Stopped: (\d+) messages sent", output).group(1))  # type: ignore[union-attr]
    assert 40 <= sent <= 75
    subscriber.wait_for(sent)
    assert subscriber.count() == sent
    assert "0 not acknowledged" in output


@pytest.mark.parametrize(
    "args", [["--rate", "0"], ["--rate", "fast"], ["--duration", "-1"], ["--storm-size", "0"]]
)
def test_the_command_refuses_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("simulate_sensors", *args)


def test_the_command_stops_cleanly_on_ctrl_c(transactional_db, demo_points, private_mosquitto, subscriber):
    env = child_env(MQTT_URL=f"mqtt://127.0.0.1:{private_mosquitto['port']}")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "simulate_sensors", "--rate", "30"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        subscriber.wait_for(20, timeout=30)
        assert subscriber.count() >= 20
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    # The last line says how many were sent (in whatever language the interface speaks).
    sent = int(re.search(r"\d+", stdout.strip().splitlines()[-1]).group())  # type: ignore[union-attr]
    subscriber.wait_for(sent)
    assert subscriber.count() == sent
