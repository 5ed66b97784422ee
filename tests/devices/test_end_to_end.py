"""A registered point publishes smoke 1: an alarm and a case exist within 2 s, in both profiles.

District: Mosquitto → `manage.py mqtt_listen` → PostgreSQL inbox → Celery worker (process_inbox, then
open_alarm_cases) → alarm and case. Standalone: `manage.py runcenter` alone (SQLite, embedded amqtt
broker, tasks inline), as a pilot or a laptop runs it.
"""

import json
import sqlite3
import sys
import time
import uuid

import pytest
from django.utils import timezone

from devices.models import Alarm
from tests.conftest import child_env, free_port, wait_for_port
from tests.devices.factories import SensorPointFactory
from tests.devices.helpers import Proc, Publisher, wait_for_log, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def smoke(publisher: Publisher, code: str) -> float:
    body = {"id": "e2e-1", "ts": timezone.now().isoformat(), "type": "smoke", "value": 1, "battery": 80}
    started = time.monotonic()
    publisher.publish(f"sensors/{code}/data", json.dumps(body).encode())
    return started


def test_district_smoke_alarm_and_case_within_2_seconds(private_mosquitto, celery_worker_process, tmp_path):
    from cases.defaults import ensure_default_catalogue
    from cases.models import Case

    ensure_default_catalogue()
    point = SensorPointFactory()
    env = child_env(MQTT_URL=f"mqtt://{private_mosquitto['host']}:{private_mosquitto['port']}")
    listener = Proc(
        [sys.executable, "manage.py", "mqtt_listen", "--client-id", "e2e"], env, tmp_path / "l.log"
    )
    listener.start()
    publisher = Publisher(private_mosquitto["host"], private_mosquitto["port"])
    try:
        wait_for_log(tmp_path / "l.log", "mqtt_listen: subscribed")
        started = smoke(publisher, point.code)
        alarm = wait_until(
            lambda: Alarm.objects.filter(point=point, case_id__isnull=False).first(), timeout=10, every=0.02
        )
        elapsed = time.monotonic() - started
    finally:
        publisher.close()
        listener.stop()
    assert alarm is not None, (tmp_path / "l.log").read_text()[-2000:]
    case = Case.objects.get(pk=alarm.case_id)
    assert (alarm.type, alarm.count, case.category.code, case.source) == ("smoke", 1, "fire-smoke", "sensor")
    print(f"smoke → alarm + case: {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0, f"alarm and case after {elapsed:.2f} s"


DEVICE_PASSWORD = "sa-1-" + uuid.uuid4().hex


def test_standalone_smoke_alarm_and_case_within_2_seconds(tmp_path):
    env = {
        key: value
        for key, value in child_env().items()
        if key not in {"DATABASE_URL", "REDIS_URL", "MQTT_URL", "SECRET_KEY", "SQLITE_PATH"}
    }
    mqtt_port, http_port = free_port(), free_port()
    env.update(DCC_VAR_DIR=str(tmp_path / "var"), MQTT_EMBEDDED_PORT=str(mqtt_port), LOG_LEVEL="WARNING")
    manage = [sys.executable, "manage.py"]
    log = tmp_path / "standalone.log"
    Proc([*manage, "migrate", "--noinput"], env, log).start().popen.wait(180)
    setup = (
        "from cases.defaults import ensure_default_catalogue; ensure_default_catalogue();"
        "from devices.catalogue import ensure_default_scenes; ensure_default_scenes();"
        "from devices.models import Scene, SensorPoint;"
        "from devices.credentials import mosquitto_hash;"
        "SensorPoint.objects.create(code='SA-1', scene=Scene.objects.get(code='smoke'), sensor_type='smoke',"
        f" lat=31.27, lng=121.48, mqtt_password_hash=mosquitto_hash('{DEVICE_PASSWORD}'))"
    )
    assert Proc([*manage, "shell", "-c", setup], env, log).start().popen.wait(120) == 0, log.read_text()[
        -3000:
    ]
    center = Proc([*manage, "runcenter", "--port", str(http_port), "--no-jobs"], env, log).start()
    publisher = None
    try:
        wait_for_port("127.0.0.1", mqtt_port, timeout=60)
        publisher = Publisher(
            "127.0.0.1", mqtt_port, username="SA-1", password=DEVICE_PASSWORD
        )  # no anonymous
        db = sqlite3.connect(tmp_path / "var" / "db.sqlite3", timeout=5)

        def probe() -> bool:  # heartbeats until one is stored: the listener is subscribed
            publisher.reading("SA-1", id=f"probe-{time.monotonic()}", type="heartbeat", value=None)
            return db.execute("SELECT count(*) FROM devices_inbox").fetchone()[0] > 0

        assert wait_until(probe, timeout=60, every=0.5), log.read_text()[-3000:]
        started = smoke(publisher, "SA-1")

        def alarm_with_case():
            return db.execute(
                "SELECT a.id, c.id FROM devices_alarm a JOIN cases_case c ON c.id = a.case_id"
                " WHERE a.type = 'smoke' AND a.cleared_at IS NULL"
            ).fetchone()

        found = wait_until(alarm_with_case, timeout=10, every=0.02)
        elapsed = time.monotonic() - started
    finally:
        if publisher is not None:
            publisher.close()
        center.stop()
    assert found, log.read_text()[-3000:]
    print(f"smoke → alarm + case: {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0, f"alarm and case after {elapsed:.2f} s"
