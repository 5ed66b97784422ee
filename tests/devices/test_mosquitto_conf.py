"""The shipped deploy/mosquitto/mosquitto.conf: 5,000 messages queued for a stopped listener survive a
broker restart and all arrive (Mosquitto's defaults would keep 1,000 and lose the rest on restart)."""

import json
import os
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.utils import timezone

from devices.ingest import ingest_messages
from devices.models import Inbox
from devices.mqtt.listener import IngestListener
from devices.registry import issue_credentials
from tests.conftest import ROOT, free_port, wait_for_port
from tests.devices.factories import SensorPointFactory
from tests.devices.helpers import Publisher, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(300),
    pytest.mark.district("the district profile's Mosquitto configuration and its persistence"),
]
QUEUED = 5000


def shipped_conf(tmp_path, port: int) -> str:
    text = (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text()
    text = text.replace("listener 1883 0.0.0.0", f"listener {port} 127.0.0.1")
    text = text.replace("/mosquitto/auth/", f"{tmp_path}/").replace("/mosquitto/data/", f"{tmp_path}/data/")
    if os.geteuid() == 0:
        text += "user root\n"  # pytest's tmp directory is private to root
    (tmp_path / "data").mkdir(exist_ok=True)
    return text


def test_queued_messages_survive_a_broker_restart(tmp_path, transactional_db):
    point = SensorPointFactory(code="PERSIST-1")
    password = dict(issue_credentials(point_ids=[point.pk]))["PERSIST-1"]
    call_command(
        "mosquitto_auth", passwords=tmp_path / "passwd", acl=tmp_path / "acl",
        listener_user="dcc-ingest", listener_password="listener-pw",
    )  # fmt: skip
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(shipped_conf(tmp_path, port))
    mosquitto = [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)]

    def start_broker() -> subprocess.Popen:
        proc = subprocess.Popen(mosquitto, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port("127.0.0.1", port)
        return proc

    def listener() -> IngestListener:
        running = IngestListener(
            host="127.0.0.1", port=port, username="dcc-ingest", password="listener-pw", client_id="persist-test",
            shared_subscription=True, store=lambda items: ingest_messages(messages=items, enqueue=False),
        )  # fmt: skip
        running.start()
        assert running.wait_connected(15)
        return running

    broker = start_broker()
    try:
        listener().stop()  # the session exists; the listener is now down
        publisher = Publisher(
            "127.0.0.1", port, client_id="PERSIST-1-pub", username="PERSIST-1", password=password
        )
        now = timezone.now().isoformat()
        infos = [
            publisher.publish(
                "sensors/PERSIST-1/data",
                json.dumps({"id": f"q-{n}", "ts": now, "type": "smoke", "value": 0}).encode(),
                wait=False,
            )
            for n in range(QUEUED)
        ]
        publisher.wait_all(infos)
        publisher.close()
        broker.terminate()  # a clean restart: Mosquitto writes its persistence file
        broker.wait(20)
        broker = start_broker()
        again = listener()
        try:
            assert wait_until(lambda: Inbox.objects.count() == QUEUED, timeout=60), Inbox.objects.count()
        finally:
            again.stop()
    finally:
        broker.terminate()
        broker.wait(20)
