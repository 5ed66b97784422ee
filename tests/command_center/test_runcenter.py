"""The standalone profile end to end: `runcenter` alone, no DATABASE_URL, REDIS_URL or MQTT_URL.

SQLite, the embedded amqtt broker, tasks inline, the in-memory channel layer: a smoke alarm published
over MQTT with the device's credentials becomes an alarm and a case, and reaches a logged-in wall
screen's socket. The broker refuses anonymous devices; a broker found listening that takes them is a
warning on /health/ and the screen; the terminal gets a line a minute, not one per task.
"""

import asyncio
import contextlib
import http.cookiejar
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import websockets

from devices.credentials import mosquitto_hash
from tests.conftest import ROOT, free_port, wait_for_port

SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "MQTT_URL", "SECRET_KEY")
MANAGE = [sys.executable, "manage.py"]
DEVICE_PASSWORD = "device-" + uuid.uuid4().hex


def standalone_env(var: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(DCC_VAR_DIR=str(var), STATIC_MANIFEST="0", **extra)
    return env


@pytest.fixture(scope="session")
def seeded_var(tmp_path_factory) -> Path:
    """A migrated SQLite database with the demo street, made once and copied for each runcenter."""
    var = tmp_path_factory.mktemp("seeded") / "var"
    for args in (["migrate", "-v0"], ["seed_demo", "--if-empty"]):
        subprocess.run([*MANAGE, *args], cwd=ROOT, env=standalone_env(var), check=True, capture_output=True,
                       timeout=300)  # fmt: skip
    return var


@contextlib.contextmanager
def running_center(tmp_path: Path, seeded_var: Path, *args: str, mqtt_port: int | None = None):
    var = tmp_path / "var"
    shutil.copytree(seeded_var, var)
    mqtt_port = mqtt_port or free_port()
    env = standalone_env(var, MQTT_EMBEDDED_PORT=str(mqtt_port))
    port = free_port()
    log = open(tmp_path / "runcenter.log", "w+")  # noqa: SIM115 - the server writes to it until the fixture ends
    proc = subprocess.Popen(
        [*MANAGE, "runcenter", "--port", str(port), *args], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        yield {"port": port, "mqtt_port": mqtt_port, "db": var / "db.sqlite3", "process": proc, "log": log}
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


@pytest.fixture
def standalone(tmp_path, seeded_var):
    with running_center(tmp_path, seeded_var) as center:
        yield center


def smoke_points(db: Path, n: int) -> list[str]:
    """Codes of n active smoke detectors of compounds, each given DEVICE_PASSWORD as its credentials."""
    with sqlite3.connect(db) as connection:
        codes = [code for (code,) in connection.execute(
            "SELECT code FROM devices_sensorpoint WHERE sensor_type = 'smoke' AND status = 'active' "
            "AND compound_id IS NOT NULL ORDER BY code LIMIT ?", [n],
        )]  # fmt: skip
        connection.executemany(
            "UPDATE devices_sensorpoint SET mqtt_password_hash = ? WHERE code = ?",
            [(mosquitto_hash(DEVICE_PASSWORD), code) for code in codes],
        )
    return codes


def mqtt_connect(port: int, username: str = "", password: str = "") -> tuple[mqtt.Client, object]:
    """A device's client (MQTT 3.1.1) and the broker's answer to its connect."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
    if username:
        client.username_pw_set(username, password)
    answer: dict[str, object] = {}
    answered = threading.Event()

    def on_connect(client, userdata, flags, reason_code, properties):
        answer["rc"] = reason_code
        answered.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    answered.wait(10)
    return client, answer.get("rc")


def login(base):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/")
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": "dispatcher", "password": "demo12345", "csrfmiddlewaretoken": csrf}
    )
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=form.encode(), headers={"Referer": base + "/"}
    )
    opener.open(request)
    assert any(c.name == "sessionid" for c in jar), "login failed"
    return opener, "; ".join(f"{c.name}={c.value}" for c in jar)


def publish_smoke(port, code, topic_code=None):
    client, rc = mqtt_connect(port, code, DEVICE_PASSWORD)
    assert rc is not None, rc
    assert not rc.is_failure, rc
    payload = {"id": uuid.uuid4().hex, "ts": datetime.now(UTC).isoformat(), "type": "smoke", "value": 1}
    client.publish(f"sensors/{topic_code or code}/data", json.dumps(payload), qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def test_a_smoke_alarm_reaches_the_screen_in_the_standalone_profile(standalone):
    base = f"http://127.0.0.1:{standalone['port']}"
    opener, cookies = login(base)
    assert opener.open(f"{base}/screen/").status == 200
    code, other = smoke_points(standalone["db"], 2)

    async def watch():
        url = f"ws://127.0.0.1:{standalone['port']}/ws/screen/"
        async with websockets.connect(url, additional_headers={"Cookie": cookies, "Origin": base}) as socket:
            hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert hello["type"] == "hello"
            started = time.monotonic()
            await asyncio.to_thread(publish_smoke, standalone["mqtt_port"], code)
            while time.monotonic() - started < 10:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 10))
                for event in frame.get("events", []):
                    if event["kind"] == "alarm" and event["data"].get("sensor_point") == code:
                        return event, time.monotonic() - started
            raise AssertionError("no alarm event for the published point")

    event, seconds = asyncio.run(watch())

    # A coalesced entry names every event of its window (raised, then perhaps updated by the case link).
    assert "alarm.raised" in event.get("events", [event["event"]])
    assert seconds < 2.0
    cases = json.loads(opener.open(f"{base}/api/v1/cases/?sensor_point={code}").read())
    assert len(cases["results"]) == 1
    assert cases["results"][0]["status"] in {"filed", "dispatched"}
    # The list's SQL on SQLite: times, several statuses, a page and the next.
    today = datetime.now(UTC).date().isoformat()
    query = f"sensor_point={code}&status=filed,dispatched&created_after={today}&emergency=false&page_size=1"
    same = json.loads(opener.open(f"{base}/api/v1/cases/?{query}").read())
    assert same["results"] == cases["results"]
    assert same["results"][0]["created_at"] == cases["results"][0]["created_at"]
    publish_smoke(standalone["mqtt_port"], other)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        first = json.loads(opener.open(f"{base}/api/v1/cases/?page_size=1").read())
        if first["next"]:
            break
        time.sleep(0.2)
    second = json.loads(opener.open(first["next"]).read())
    assert second["results"][0]["created_at"] <= first["results"][0]["created_at"]
    assert json.loads(opener.open(second["previous"]).read())["results"] == first["results"]


def test_runcenter_says_which_broker_it_uses_and_stops_on_ctrl_c(standalone):
    standalone["process"].send_signal(signal.SIGINT)
    standalone["process"].wait(timeout=20)
    standalone["log"].seek(0)
    log = standalone["log"].read()

    assert f"embedded broker (amqtt) listening on 127.0.0.1:{standalone['mqtt_port']}" in log
    assert "standalone profile" in log
    assert standalone["process"].returncode == 0


def health(base: str) -> dict:
    return json.loads(urllib.request.urlopen(f"{base}/health/").read())


def test_the_embedded_broker_wants_the_devices_credentials_and_their_own_topic(standalone):
    base, port = f"http://127.0.0.1:{standalone['port']}", standalone["mqtt_port"]
    code, other = smoke_points(standalone["db"], 2)
    refused = [mqtt_connect(port), mqtt_connect(port, code, "guess"), mqtt_connect(port, "NOBODY-1", "x")]
    for client, _ in refused:
        client.loop_stop()

    publish_smoke(port, code, topic_code=other)  # into another device's topic: the broker drops it
    publish_smoke(port, code)

    def stored(device: str) -> int:
        with sqlite3.connect(standalone["db"]) as db:
            return db.execute(
                "SELECT count(*) FROM devices_inbox WHERE device_code = ?", [device]
            ).fetchone()[0]

    deadline = time.monotonic() + 10
    while not stored(code) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [rc is not None and rc.is_failure for _, rc in refused] == [True, True, True]
    assert (stored(code), stored(other)) == (1, 0)
    assert health(base)["warnings"] == []


def test_a_broker_found_listening_that_takes_anonymous_clients_is_a_warning(
    tmp_path, seeded_var, private_mosquitto
):
    with running_center(tmp_path, seeded_var, mqtt_port=private_mosquitto["port"]) as center:
        base = f"http://127.0.0.1:{center['port']}"
        warnings = health(base)["warnings"]
        opener, _cookies = login(base)
        snapshot = json.loads(opener.open(f"{base}/api/v1/screen/snapshot?sections=kpis").read())
        center["log"].seek(0)
        log = center["log"].read()

    assert [warning["code"] for warning in warnings] == ["mqtt_anonymous"]
    assert "匿名" in warnings[0]["message"]  # "anonymous", in the default language
    assert len(snapshot["warnings"]) == 1
    assert "匿名" in snapshot["warnings"][0]
    assert "a broker already listens" in log
    assert "accepts anonymous clients" in log


def test_the_simulated_street_does_not_flood_the_terminal(tmp_path, seeded_var):
    with running_center(tmp_path, seeded_var, "--simulate", "--rate", "50") as center:

        def stored() -> int:
            with sqlite3.connect(center["db"]) as db:
                return db.execute(
                    "SELECT count(*) FROM devices_inbox WHERE processed_at IS NOT NULL"
                ).fetchone()[0]

        deadline = time.monotonic() + 30
        while stored() < 300 and time.monotonic() < deadline:
            time.sleep(0.5)
        processed = stored()
        center["log"].seek(0)
        log = center["log"].read()

    assert processed >= 300, "the simulator's messages did not arrive (could it log in?)"
    assert "succeeded" not in log  # Celery's line per task: ~20 a second before
    assert len(log.splitlines()) < 40, log[-3000:]
