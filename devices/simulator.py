"""Simulated sensors: protocol-v1 traffic for the registered points (demo, benchmarks, runcenter --simulate).

    simulator = SensorSimulator(host="127.0.0.1", port=1883, username="", password="", rate=50)
    simulator.start()   # returns at once; a thread publishes
    ...
    simulator.stop()    # waits (briefly) for the broker to acknowledge what was sent

Every active point is visited in turn (a shuffled round robin), once every points / rate seconds; ingest
calls a point offline after 3 missed heartbeat intervals (900 s by default), so the demo street's 9,128
active points need a rate of at least about 10/s to stay online. A visit sends a
heartbeat or a normal reading. Now and then an incident starts on one point (smoke, a hydrant below
0.10 MPa, noise over the night limit, a fire lane occupied for a while...): its abnormal value is sent at
once, repeated every minute while it lasts, and a normal value follows at the end. `storm` sends smoke
alarms from many detectors, whole compounds at a time, as the cluster rule sees them in a real fire.
Every message is rate limited by one token bucket, storms and incidents included.
"""

import heapq
import itertools
import json
import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
from django.utils.translation import gettext as _
from paho.mqtt.enums import CallbackAPIVersion

from .models import SensorPoint
from .sensor_types import SENSOR_TYPES, SHANGHAI, ValueKind, is_night

logger = logging.getLogger(__name__)

DEFAULT_RATE = 50.0
MAX_RATE = 100_000.0
MAX_UNACKED = 20_000  # QoS 1 messages in flight or queued in paho before the publisher waits
INCIDENT_REPEAT_S = 60.0  # an abnormal value is repeated this often while the incident lasts
HEARTBEAT_SHARE = 0.4  # of the round-robin visits; the rest are normal readings


class SimulatorError(Exception):
    """The simulator cannot run: a clear reason for the operator."""


@dataclass(frozen=True)
class SimPoint:
    code: str
    sensor_type: str  # protocol type: smoke, water_pressure, geomagnetic, noise, ...
    compound_id: int | None = None


@dataclass(frozen=True)
class Incident:
    sensor_type: str
    weight: float
    low: float  # abnormal value range
    high: float
    minutes: tuple[float, float]  # how long it lasts; (0, 0): a single message, no clearing value
    night_only: bool = False


# Abnormal values by protocol type, from the sensor type catalogue.
INCIDENTS = [
    Incident(name, a.weight, a.low, a.high, a.minutes, a.night_only)
    for name, sensor in SENSOR_TYPES.items()
    if (a := sensor.abnormal) is not None
]
INTEGER_TYPES = {
    name
    for name, sensor in SENSOR_TYPES.items()
    if sensor.value.kind in (ValueKind.BINARY, ValueKind.TRIGGER)
}
# Types that report nothing but alarms: a visit only sends a heartbeat.
ALARM_ONLY_TYPES = {name for name, sensor in SENSOR_TYPES.items() if sensor.value.kind is ValueKind.TRIGGER}


def normal_value(sensor_type: str, rng: random.Random, at: datetime) -> float | int | None:
    """A plausible normal reading of the type, None for a type with no normal reading."""
    sensor = SENSOR_TYPES.get(sensor_type)
    if sensor is None or sensor.normal is None:
        return None
    return sensor.normal(rng, at)


def clear_value(sensor_type: str, rng: random.Random, at: datetime) -> float | int | None:
    sensor = SENSOR_TYPES.get(sensor_type)
    if sensor is not None and sensor.clear is not None:
        return sensor.clear(rng, at)
    return normal_value(sensor_type, rng, at)


def load_points() -> list[SimPoint]:
    """The active points of the database."""
    rows = SensorPoint.objects.filter(status=SensorPoint.Status.ACTIVE).order_by("code")
    return [SimPoint(code, sensor_type, compound_id) for code, sensor_type, compound_id in
            rows.values_list("code", "sensor_type", "compound_id")]  # fmt: skip


class TokenBucket:
    """`rate` tokens a second, at most `capacity` saved up. Not thread-safe: one publisher thread."""

    def __init__(self, *, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self.tokens = 0.0
        self.stamp = clock()

    def take(self, wanted: int) -> int:
        """Take up to `wanted` whole tokens now; returns how many were taken."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        granted = min(wanted, int(self.tokens))
        self.tokens -= granted
        return granted

    def wait_time(self) -> float:
        """Seconds until one more token is there."""
        return max(0.0, (1 - self.tokens) / self.rate)


class SensorSimulator:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str = "",
        password: str = "",
        rate: float = DEFAULT_RATE,
        storm: bool = False,
        storm_size: int = 1000,
        incident_interval: float = 30.0,
        points: Sequence[SimPoint] | None = None,
        seed: int | None = None,
        report: Callable[[str], None] | None = None,
        report_every: float = 10.0,
        client_id: str | None = None,
    ) -> None:
        if not 0 < rate <= MAX_RATE:
            raise SimulatorError(f"rate must be above 0 and at most {MAX_RATE:.0f} messages/s, got {rate}")
        if storm_size < 1:
            raise SimulatorError(f"storm size must be at least 1, got {storm_size}")
        if incident_interval <= 0:
            raise SimulatorError(f"incident interval must be above 0 s, got {incident_interval}")
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.rate = float(rate)
        self.storm = storm
        self.storm_size = storm_size
        self.incident_interval = incident_interval
        self._points = list(points) if points is not None else None
        self.rng = random.Random(seed)
        self.report = report
        self.report_every = report_every
        self.client_id = client_id or f"dcc-simulator-{uuid.uuid4().hex[:12]}"

        self.sent: Counter[str] = Counter()  # heartbeat / reading / alarm / clear, since start
        self._window: Counter[str] = Counter()
        self._acked = 0
        self._published = 0
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        # (due time, sequence, code, type, value, kind): storm, incident and clearing messages.
        self._scheduled: list[tuple[float, int, str, str, Any, str]] = []
        self._queue_lock = threading.Lock()  # trigger_storm() may be called from another thread
        self._sequence = itertools.count()
        self._active: dict[str, tuple[float, Any]] = {}  # code -> (incident end, abnormal value)

    # -- life cycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect and start publishing in a thread; raises SimulatorError when that cannot work."""
        if self._thread is not None:
            raise SimulatorError("the simulator is already running")
        points = self._points if self._points is not None else load_points()
        if not points:
            raise SimulatorError("no active sensor points to simulate: run `manage.py seed_demo` first")
        self.points = points
        self._by_type: dict[str, list[SimPoint]] = {}
        for point in points:
            self._by_type.setdefault(point.sensor_type, []).append(point)

        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv311,  # the embedded amqtt broker speaks 3.1.1 only
            clean_session=True,  # a publisher: nothing to resume
        )
        if self.username:
            client.username_pw_set(self.username, self.password)
        client.max_inflight_messages_set(1000)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        try:
            client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise SimulatorError(f"cannot reach the MQTT broker at {self.host}:{self.port}: {exc}") from exc
        client.loop_start()
        if not self._connected.wait(timeout=10):
            client.loop_stop()
            client.disconnect()
            raise SimulatorError(f"the MQTT broker at {self.host}:{self.port} did not accept the connection")
        self._client = client
        self._stopping.clear()
        if self.storm:
            self.trigger_storm(self.storm_size)
        self._thread = threading.Thread(target=self._run, name="sensor-simulator", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop publishing, wait up to `timeout` s for the broker's acknowledgements, disconnect."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None
        client, self._client = self._client, None
        if client is None:
            return
        deadline = time.monotonic() + timeout
        while self.unacked and time.monotonic() < deadline:
            time.sleep(0.05)
        client.disconnect()
        client.loop_stop()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def unacked(self) -> int:
        with self._lock:
            return self._published - self._acked

    # -- paho callbacks (paho's network thread) -----------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            logger.warning("simulator: the broker refused the connection: %s", reason_code)
            return
        self._connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        self._connected.clear()
        if not self._stopping.is_set():
            logger.warning("simulator: disconnected from the broker (%s), reconnecting", reason_code)

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        with self._lock:
            self._acked += 1

    # -- what to send -------------------------------------------------------------------------------------

    def trigger_storm(self, size: int) -> int:
        """Schedule smoke alarms from up to `size` detectors, whole compounds at a time; returns how many.
        Call it once the simulator has started (start() does when `storm` is set)."""
        detectors = self._by_type.get("smoke", [])
        by_compound: dict[int, list[SimPoint]] = {}
        groups: list[list[SimPoint]] = []
        for point in detectors:
            if point.compound_id is None:
                groups.append([point])  # a shop on the street: on its own
            else:
                by_compound.setdefault(point.compound_id, []).append(point)
        groups += by_compound.values()
        self.rng.shuffle(groups)
        chosen = [point for group in groups for point in group][:size]
        now = time.monotonic()
        for point in chosen:
            self._schedule(now, point.code, "smoke", 1, "alarm")
            self._schedule(now + self.rng.uniform(300, 600), point.code, "smoke", 0, "clear")
        return len(chosen)

    def _schedule(self, due: float, code: str, sensor_type: str, value: Any, kind: str) -> None:
        with self._queue_lock:
            heapq.heappush(self._scheduled, (due, next(self._sequence), code, sensor_type, value, kind))

    def _next_due(self, now: float) -> tuple[str, str, Any, str] | None:
        with self._queue_lock:
            if not self._scheduled or self._scheduled[0][0] > now:
                return None
            _, _, code, sensor_type, value, kind = heapq.heappop(self._scheduled)
            return code, sensor_type, value, kind

    def _start_incident(self, now: float, wall: datetime) -> None:
        candidates = [
            incident
            for incident in INCIDENTS
            if self._by_type.get(incident.sensor_type) and (is_night(wall) or not incident.night_only)
        ]
        if not candidates:
            return
        incident = self.rng.choices(candidates, weights=[i.weight for i in candidates])[0]
        point = self.rng.choice(self._by_type[incident.sensor_type])
        if point.code in self._active:
            return
        value: Any = self.rng.uniform(incident.low, incident.high)
        value = int(value) if incident.sensor_type in INTEGER_TYPES else round(value, 3)
        self._schedule(now, point.code, point.sensor_type, value, "alarm")
        lasts = self.rng.uniform(*incident.minutes) * 60
        if lasts <= 0:
            return
        self._active[point.code] = (now + lasts, value)
        for repeat in itertools.count(1):
            if repeat * INCIDENT_REPEAT_S >= lasts:
                break
            self._schedule(now + repeat * INCIDENT_REPEAT_S, point.code, point.sensor_type, value, "alarm")
        self._schedule(now + lasts, point.code, point.sensor_type, None, "clear")

    def _visit(self, point: SimPoint, now: float, wall: datetime) -> tuple[str, Any, str]:
        """(type, value, kind) for a round-robin visit of the point."""
        active = self._active.get(point.code)
        if active is not None:
            if active[0] > now:
                return point.sensor_type, active[1], "alarm"
            del self._active[point.code]
        if point.sensor_type in ALARM_ONLY_TYPES or self.rng.random() < HEARTBEAT_SHARE:
            return "heartbeat", None, "heartbeat"
        value = normal_value(point.sensor_type, self.rng, wall)
        if value is None:
            return "heartbeat", None, "heartbeat"
        return point.sensor_type, value, "reading"

    def message(self, sensor_type: str, value: Any, wall: datetime, battery: int | None) -> bytes:
        body: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "ts": wall.astimezone(SHANGHAI).isoformat(timespec="milliseconds"),
            "type": sensor_type,
        }
        if sensor_type != "heartbeat":
            body["value"] = value
        if battery is not None:
            body["battery"] = battery
        return json.dumps(body, separators=(",", ":")).encode()

    def _battery(self, code: str) -> int:
        return 60 + sum(code.encode()) % 41  # steady per device, between 60 and 100

    # -- the publisher thread -----------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._publish_loop()
        except Exception:
            logger.exception("simulator: the publisher stopped")

    def _publish_loop(self) -> None:
        bucket = TokenBucket(rate=self.rate, capacity=max(1.0, self.rate / 10))
        order = list(self.points)
        self.rng.shuffle(order)
        cycle = itertools.cycle(order)
        next_incident = time.monotonic() + self.rng.expovariate(1 / self.incident_interval)
        next_report = time.monotonic() + self.report_every
        while not self._stopping.is_set():
            now = time.monotonic()
            if now >= next_report:
                self._report(now - next_report + self.report_every)
                next_report = now + self.report_every
            if not self._connected.is_set() or self.unacked > MAX_UNACKED:
                self._stopping.wait(0.05)  # broker away or behind: do not pile messages up in memory
                continue
            wall = datetime.now(SHANGHAI)
            while now >= next_incident:
                self._start_incident(now, wall)
                next_incident += self.rng.expovariate(1 / self.incident_interval)
            granted = bucket.take(max(1, int(self.rate / 50)))
            if not granted:
                self._stopping.wait(bucket.wait_time())
                continue
            for _turn in range(granted):
                due = self._next_due(now)
                if due is not None:
                    code, sensor_type, value, kind = due
                    if kind == "clear":
                        self._active.pop(code, None)
                    if kind == "clear" and value is None:
                        value = clear_value(sensor_type, self.rng, wall)
                    if kind == "clear" and value is None:
                        sensor_type, kind = "heartbeat", "heartbeat"
                else:
                    point = next(cycle)
                    code = point.code
                    sensor_type, value, kind = self._visit(point, now, wall)
                self._publish(code, sensor_type, value, wall, kind)

    def _publish(self, code: str, sensor_type: str, value: Any, wall: datetime, kind: str) -> None:
        assert self._client is not None
        payload = self.message(sensor_type, value, wall, self._battery(code))
        with self._lock:
            self._published += 1
        info = self._client.publish(f"sensors/{code}/data", payload, qos=1)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            # Not queued by paho: it will never be acknowledged.
            with self._lock:
                self._published -= 1
            logger.warning("simulator: publish to %s failed: %s", code, mqtt.error_string(info.rc))
            return
        self.sent[kind] += 1
        self._window[kind] += 1

    def _report(self, seconds: float) -> None:
        window, self._window = self._window, Counter()
        total = sum(window.values())
        if self.report is not None:
            self.report(
                _(
                    "%(time)s sent %(total)d in %(seconds).0f s (%(per_second).0f/s): "
                    "%(heartbeats)d heartbeats, %(readings)d readings, %(alarms)d alarm values, "
                    "%(clears)d back to normal"
                )
                % {
                    "time": f"{datetime.now(SHANGHAI):%H:%M:%S}",
                    "total": total,
                    "seconds": seconds,
                    "per_second": total / seconds,
                    "heartbeats": window["heartbeat"],
                    "readings": window["reading"],
                    "alarms": window["alarm"],
                    "clears": window["clear"],
                }
            )
