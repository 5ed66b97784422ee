"""The standalone profile end to end: `runcenter` alone, no DATABASE_URL, REDIS_URL or MQTT_URL.

SQLite, the embedded amqtt broker, tasks inline, the in-memory channel layer: a smoke alarm published
over MQTT becomes an alarm and a case, and reaches a logged-in wall screen's socket.
"""

import asyncio
import http.cookiejar
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
import websockets

from tests.conftest import ROOT, free_port, wait_for_port

SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "MQTT_URL", "SECRET_KEY")


@pytest.fixture
def standalone(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(DCC_VAR_DIR=str(tmp_path / "var"), MQTT_EMBEDDED_PORT=str(free_port()), STATIC_MANIFEST="0")
    manage = [sys.executable, "manage.py"]
    for args in (["migrate", "-v0"], ["seed_demo", "--if-empty"]):
        subprocess.run([*manage, *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    log = open(tmp_path / "runcenter.log", "w+")
    proc = subprocess.Popen(
        [*manage, "runcenter", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        yield {"port": port, "mqtt_port": int(env["MQTT_EMBEDDED_PORT"]), "db": tmp_path / "var" / "db.sqlite3",
               "process": proc, "log": log}  # fmt: skip
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


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


def publish_smoke(port, code):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    payload = {"id": uuid.uuid4().hex, "ts": datetime.now(UTC).isoformat(), "type": "smoke", "value": 1}
    client.publish(f"sensors/{code}/data", json.dumps(payload), qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def test_a_smoke_alarm_reaches_the_screen_in_the_standalone_profile(standalone):
    base = f"http://127.0.0.1:{standalone['port']}"
    opener, cookies = login(base)
    assert opener.open(f"{base}/screen/").status == 200
    with sqlite3.connect(standalone["db"]) as db:
        (code,) = db.execute(
            "SELECT code FROM devices_sensorpoint WHERE sensor_type = 'smoke' AND status = 'active' "
            "AND compound_id IS NOT NULL ORDER BY code LIMIT 1"
        ).fetchone()

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
    with sqlite3.connect(standalone["db"]) as db:
        (other,) = db.execute(
            "SELECT code FROM devices_sensorpoint WHERE sensor_type = 'smoke' AND status = 'active' "
            "AND compound_id IS NOT NULL AND code != ? ORDER BY code LIMIT 1",
            [code],
        ).fetchone()
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
