"""The registry's password file and ACL on a real Mosquitto: a device connects with its credentials and
may publish only to sensors/<its code>/data; the listener reads every device topic."""

import json
import os
import shutil
import subprocess
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from django.core.management import call_command
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from devices.credentials import acl_file, check_password, mosquitto_hash
from devices.ingest import ingest_messages
from devices.models import Inbox, SensorPoint
from devices.mqtt.listener import IngestListener
from devices.registry import issue_credentials
from tests.conftest import free_port, wait_for_port
from tests.devices.factories import SensorPointFactory
from tests.devices.helpers import wait_until

pytestmark = pytest.mark.integration
LISTENER_PASSWORD = "listener-secret-" + uuid.uuid4().hex


def test_hashes_are_mosquitto_compatible(tmp_path):
    encoded = mosquitto_hash("s3cret")
    assert encoded.startswith("$7$101$")
    assert check_password("s3cret", encoded)
    assert not check_password("S3cret", encoded)
    assert not check_password("s3cret", "garbage")
    # mosquitto_passwd's own hash verifies with our check, so the formats agree both ways
    passwd = shutil.which("mosquitto_passwd")
    if passwd:
        file = tmp_path / "p"
        file.write_text("")
        subprocess.run([passwd, "-b", str(file), "dev", "s3cret"], check=True)
        assert check_password("s3cret", file.read_text().strip().split(":", 1)[1])


def test_acl_lines():
    text = acl_file(listener_usernames=["dcc-ingest"])
    assert "user dcc-ingest\ntopic read sensors/#\ntopic read $share/+/sensors/#" in text
    assert "pattern write sensors/%u/data" in text


@pytest.fixture
def secured_broker(tmp_path, transactional_db):
    """Generate the files from the registry, then start Mosquitto with them (no anonymous access)."""
    device, other = SensorPointFactory(code="AUTH-1"), SensorPointFactory(code="AUTH-2")
    retired = SensorPointFactory(code="AUTH-OLD")
    SensorPointFactory(code="AUTH-NOCRED")  # registered by CSV, no credentials issued yet
    passwords = dict(issue_credentials(point_ids=[device.pk, other.pk, retired.pk]))
    SensorPoint.objects.filter(pk=retired.pk).update(status=SensorPoint.Status.RETIRED)
    passwd, acl = tmp_path / "passwd", tmp_path / "acl"
    call_command(
        "mosquitto_auth",
        passwords=passwd,
        acl=acl,
        listener_user="dcc-ingest",
        listener_password=LISTENER_PASSWORD,
    )
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwd}\nacl_file {acl}\n"
        "persistence false\nmax_inflight_messages 1000\n" + ("user root\n" if os.geteuid() == 0 else "")
        # As root Mosquitto would switch to its own user, who cannot read pytest's private tmp directory.
    )
    proc = subprocess.Popen(
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port)
        yield {"port": port, "passwords": passwords, "passwd_file": passwd}
    finally:
        proc.terminate()
        proc.wait(10)


def connect(port: int, username: str, password: str) -> tuple[mqtt.Client, object]:
    """A device client (MQTT 5, so the broker answers a refused publish); returns client and reason code."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"{username}-{uuid.uuid4().hex[:6]}",
        protocol=MQTTProtocolVersion.MQTTv5,
    )  # fmt: skip
    client.username_pw_set(username, password)
    result: dict[str, object] = {}
    done = threading.Event()

    def on_connect(client, userdata, flags, reason_code, properties):
        result["rc"] = reason_code
        done.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    done.wait(10)
    return client, result.get("rc")


def test_the_password_file_holds_active_points_with_credentials_and_the_listener(secured_broker):
    users = [line.split(":", 1)[0] for line in secured_broker["passwd_file"].read_text().splitlines()]
    assert users == ["dcc-ingest", "AUTH-1", "AUTH-2"]
    assert oct(secured_broker["passwd_file"].stat().st_mode & 0o777) == "0o640"


def test_a_device_publishes_only_to_its_own_topic(secured_broker):
    port, passwords = secured_broker["port"], secured_broker["passwords"]
    listener = IngestListener(
        host="127.0.0.1", port=port, username="dcc-ingest", password=LISTENER_PASSWORD, client_id="auth-listener",
        shared_subscription=True, store=lambda items: ingest_messages(messages=items, enqueue=False),
    )  # fmt: skip
    listener.start()
    device = None
    try:
        assert listener.wait_connected(10), "the listener could not log in"
        device, rc = connect(port, "AUTH-1", passwords["AUTH-1"])
        assert not rc.is_failure, rc
        body = {"id": "own", "ts": timezone.now().isoformat(), "type": "smoke", "value": 0}
        own = device.publish("sensors/AUTH-1/data", json.dumps(body).encode(), qos=1)
        own.wait_for_publish(5)
        foreign = device.publish("sensors/AUTH-2/data", b'{"id": "foreign"}', qos=1)
        foreign.wait_for_publish(5)
        assert wait_until(lambda: Inbox.objects.filter(msg_id="own").exists())
        reading = device.subscribe("sensors/+/data", qos=1)
        assert reading[0] == mqtt.MQTT_ERR_SUCCESS
        wait_until(lambda: listener.stats["received"] >= 1)
        assert listener.stats["received"] == 1, "the broker let a device publish to another device's topic"
        assert not Inbox.objects.filter(msg_id="foreign").exists()
    finally:
        if device is not None:
            device.disconnect()
            device.loop_stop()
        listener.stop()


@pytest.mark.parametrize(
    ("username", "password_of"),
    [("AUTH-1", "AUTH-2"), ("AUTH-OLD", "AUTH-OLD"), ("AUTH-NOCRED", None), ("nobody", None)],
)
def test_wrong_or_missing_credentials_and_retired_points_are_refused(secured_broker, username, password_of):
    password = secured_broker["passwords"].get(password_of, "guess-" + uuid.uuid4().hex)
    client, rc = connect(secured_broker["port"], username, password)
    client.loop_stop()
    assert rc is not None, f"{username} got no answer"
    assert rc.is_failure, f"{username} connected with {rc}"
