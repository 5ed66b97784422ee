"""IngestListener on a real Mosquitto: stores every message once, PUBACKs only after the commit,
turns each bad input class into a dead letter and keeps ingesting, splits load over shared
subscriptions."""

import hashlib
import itertools
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devices.ingest import ingest_messages
from devices.models import DeadLetter, Inbox
from devices.mqtt.listener import DrainingClient, IngestClient, IngestListener
from tests.devices.factories import SensorPointFactory
from tests.devices.helpers import Publisher, wait_until

pytestmark = pytest.mark.integration
ids = itertools.count(1)


def store_only(items):  # the listener's store without the Celery hop: these tests look at the inbox
    return ingest_messages(messages=items, enqueue=False)


@pytest.fixture
def broker(private_mosquitto):
    return private_mosquitto


def make_listener(broker, *, client_id: str | None = None, shared: bool = True, store=store_only, **kwargs):
    listener = IngestListener(
        host=broker["host"],
        port=broker["port"],
        client_id=client_id or f"test-{uuid.uuid4().hex[:8]}",
        shared_subscription=shared,
        store=store,
        **kwargs,
    )
    listener.start()
    assert listener.wait_connected(10)
    return listener


@pytest.fixture
def listener(broker, transactional_db):
    running = make_listener(broker)
    yield running
    running.stop()


@pytest.fixture
def publisher(broker):
    client = Publisher(broker["host"], broker["port"])
    yield client
    client.close()


def test_messages_are_stored_once_and_acknowledged(listener, publisher):
    point = SensorPointFactory()
    for n in range(20):
        publisher.reading(point.code, id=f"m-{n}")
    publisher.reading(point.code, id="m-3")  # a device retrying
    assert wait_until(lambda: listener.stats["acked"] == 21)
    assert Inbox.objects.filter(device_code=point.code).count() == 20
    assert (listener.stats["stored"], listener.stats["duplicates"]) == (20, 1)


BAD_INPUTS = [
    ("malformed_json", "sensors/{code}/data", b'{"id": "x", '),
    ("oversize", "sensors/{code}/data", b'{"pad": "' + b"x" * 5000 + b'"}'),
    ("missing_field", "sensors/{code}/data", b'{"ts": "{ts}", "type": "smoke", "value": 1}'),
    ("wrong_type", "sensors/{code}/data", b'{"id": "w", "ts": "{ts}", "type": "smoke", "value": "1"}'),
    ("bad_value", "sensors/{code}/data", b'{"id": "v", "ts": "{ts}", "type": "smoke", "value": 7}'),
    ("bad_timestamp", "sensors/{code}/data", b'{"id": "t", "ts": "21/11/2026 08:00", "type": "smoke", "value": 1}'),
    ("ts_out_of_range", "sensors/{code}/data", b'{"id": "r", "ts": "2020-01-01T00:00:00+08:00", "type": "smoke", "value": 1}'),
    ("unknown_type", "sensors/{code}/data", b'{"id": "u", "ts": "{ts}", "type": "radiation", "value": 1}'),
    ("topic_mismatch", "sensors/{code}/data", b'{"id": "d", "device": "SOMEONE-ELSE", "ts": "{ts}", "type": "smoke", "value": 1}'),
    ("bad_topic", "sensors/not a code!/data", b'{"id": "b", "ts": "{ts}", "type": "smoke", "value": 1}'),
    ("unknown_device", "sensors/NOBODY-9/data", b'{"id": "n", "ts": "{ts}", "type": "smoke", "value": 1}'),
    ("inactive_device", "sensors/{inactive}/data", b'{"id": "i", "ts": "{ts}", "type": "smoke", "value": 1}'),
]  # fmt: skip


@pytest.mark.parametrize(("reason", "topic", "raw"), BAD_INPUTS, ids=[row[0] for row in BAD_INPUTS])
def test_each_bad_input_class_is_a_dead_letter_and_ingest_goes_on(
    broker, listener, publisher, reason, topic, raw
):
    from django.utils import timezone

    point = SensorPointFactory()
    inactive = SensorPointFactory(status="maintenance")
    raw = raw.replace(b"{ts}", timezone.now().isoformat().encode())
    publisher.publish(topic.format(code=point.code, inactive=inactive.code), raw)
    publisher.reading(point.code, id="after-the-bad-one")
    assert wait_until(lambda: Inbox.objects.filter(msg_id="after-the-bad-one").exists())
    letter = wait_until(lambda: DeadLetter.objects.first())
    assert letter is not None
    assert letter.reason == reason
    assert bytes(letter.payload) == raw[: DeadLetter.KEPT_BYTES]  # all of it, but for the oversized one
    assert (letter.size, letter.sha256) == (len(raw), hashlib.sha256(raw).hexdigest())
    assert DeadLetter.objects.count() == 1


def test_nothing_is_acknowledged_before_the_commit_so_the_broker_redelivers(
    broker, transactional_db, publisher
):
    point = SensorPointFactory()
    client_id = "test-redelivery"

    def failing_store(items):
        raise RuntimeError("database unavailable")

    broken = make_listener(broker, client_id=client_id, store=failing_store)
    try:
        publisher.reading(point.code, id="must-survive")
        assert wait_until(lambda: broken.stats["received"] >= 1)
    finally:
        broken.stop()
    assert broken.stats["acked"] == 0
    assert not Inbox.objects.exists()

    healthy = make_listener(broker, client_id=client_id)  # same session: the broker delivers it again
    try:
        assert wait_until(lambda: Inbox.objects.filter(msg_id="must-survive").exists())
    finally:
        healthy.stop()


def test_messages_published_while_the_listener_is_down_wait_in_its_session(
    broker, transactional_db, publisher
):
    point = SensorPointFactory()
    first = make_listener(broker, client_id="test-session")
    first.stop()
    for n in range(50):
        publisher.reading(point.code, id=f"offline-{n}")
    again = make_listener(broker, client_id="test-session")
    try:
        assert wait_until(lambda: Inbox.objects.count() == 50)
    finally:
        again.stop()


def test_two_listeners_split_a_shared_subscription(broker, transactional_db, publisher):
    point = SensorPointFactory()
    a = make_listener(broker, client_id="test-share-a")
    b = make_listener(broker, client_id="test-share-b")
    try:
        infos = [publisher.reading(point.code, id=f"s-{n}", wait=False) for n in range(400)]
        publisher.wait_all(infos)
        assert wait_until(lambda: Inbox.objects.count() == 400)
        assert a.stats["received"] > 0
        assert b.stats["received"] > 0
        assert a.stats["received"] + b.stats["received"] == 400
    finally:
        a.stop()
        b.stop()


def test_batches_are_bounded_by_size(broker, transactional_db, publisher):
    point = SensorPointFactory()
    sizes: list[int] = []

    def recording_store(items):
        sizes.append(len(items))
        return store_only(items)

    listener = make_listener(broker, store=recording_store, batch_size=50, batch_wait=0.5)
    try:
        infos = [publisher.reading(point.code, id=f"b-{n}", wait=False) for n in range(500)]
        publisher.wait_all(infos)
        assert wait_until(lambda: Inbox.objects.count() == 500)
        assert max(sizes) <= 50
        assert sum(sizes) == 500
    finally:
        listener.stop()


def test_a_lone_message_waits_at_most_the_batch_time(broker, transactional_db, publisher, monkeypatch):
    """The first message of a batch wakes an idle flusher, which then waits batch_wait for more: it
    does not sleep out its idle wait (30 s here, so a wait of 0.05 s or 30 s cannot be confused)."""
    monkeypatch.setattr(IngestListener, "IDLE_WAIT", 30)
    point = SensorPointFactory()
    listener = make_listener(broker, batch_size=500, batch_wait=0.05)
    try:
        for n in range(3):  # each time the flusher is idle again before the message arrives
            time.sleep(0.3)
            started = time.monotonic()
            publisher.reading(point.code, id=f"lonely-{n}")
            assert wait_until(lambda n=n: Inbox.objects.filter(msg_id=f"lonely-{n}").exists(), timeout=10)
            assert time.monotonic() - started < 5
    finally:
        listener.stop()


def test_a_batch_is_acknowledged_in_one_write_and_the_broker_takes_every_puback(
    broker, transactional_db, publisher
):
    """More messages than the Receive Maximum (1,000 unacknowledged at most): they all arrive only if
    the broker counts the batched PUBACKs; a restart on the same session gets nothing again."""
    point = SensorPointFactory()
    client_id = "test-batched-acks"
    first = make_listener(broker, client_id=client_id, receive_maximum=100)
    assert first.batch_acks, "paho no longer has Client._packet_queue: batched PUBACKs fell back to ack()"
    try:
        for n in range(1200):
            publisher.reading(point.code, id=f"ack-{n}")
        assert wait_until(lambda: first.stats["acked"] == 1200, timeout=30)
    finally:
        first.stop()
    assert Inbox.objects.filter(device_code=point.code).count() == 1200
    again = make_listener(broker, client_id=client_id, receive_maximum=100)
    try:
        publisher.reading(point.code, id="after")
        assert wait_until(lambda: Inbox.objects.filter(msg_id="after").exists())
        time.sleep(0.3)
        assert (again.stats["received"], again.stats["duplicates"]) == (1, 0)
    finally:
        again.stop()


def subscribed_client(broker, topic: str, max_packets_per_read: int) -> tuple[DrainingClient, list[bytes]]:
    """A listener's client, subscribed, whose network loop the test turns by hand."""
    received: list[bytes] = []
    client = DrainingClient(callback_api_version=CallbackAPIVersion.VERSION2, client_id=uuid.uuid4().hex[:12])
    client.max_packets_per_read = max_packets_per_read
    client.on_message = lambda c, u, message: received.append(message.payload)
    subscribed: list[int] = []
    client.on_subscribe = lambda c, u, mid, codes, properties: subscribed.append(mid)
    client.connect(broker["host"], broker["port"])
    client.subscribe(topic, qos=1)
    deadline = time.monotonic() + 10
    while not subscribed and time.monotonic() < deadline:
        client.loop(timeout=0.1)
    assert subscribed
    return client, received


@pytest.mark.parametrize(("limit", "expected"), [(1000, 300), (50, 50)])
def test_one_turn_of_the_network_loop_reads_every_waiting_message_up_to_its_bound(
    broker, publisher, limit, expected
):
    """paho alone reads one message per turn of its loop (a select() each); the listener's client reads
    what the socket holds, at most `max_packets_per_read`."""
    assert hasattr(mqtt.Client, "_packet_read"), "paho no longer has Client._packet_read: one per turn again"
    topic = f"drain/{uuid.uuid4().hex[:8]}"
    client, received = subscribed_client(broker, topic, limit)
    try:
        publisher.wait_all([publisher.publish(topic, b"%d" % n, wait=False) for n in range(300)])
        time.sleep(0.5)  # the broker has sent them all: they wait in the listener's socket
        assert client.loop_read() == mqtt.MQTT_ERR_SUCCESS
        assert received == [b"%d" % n for n in range(expected)]
        deadline = time.monotonic() + 10
        while len(received) < 300 and time.monotonic() < deadline:  # the rest on the next turns
            client.loop(timeout=0.1)
        assert received == [b"%d" % n for n in range(300)]
    finally:
        client.disconnect()


def mqtt5_subscriber(broker, client_class: type[mqtt.Client], topic: str) -> tuple[mqtt.Client, list]:
    """An MQTT 5 subscriber (QoS 1, paho's automatic PUBACK) recording every message it is handed."""
    received: list[mqtt.MQTTMessage] = []
    client = client_class(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=uuid.uuid4().hex[:12],
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.on_message = lambda c, u, message: received.append(message)
    subscribed = []
    client.on_subscribe = lambda c, u, mid, codes, properties: subscribed.append(mid)
    client.connect(broker["host"], broker["port"])
    client.loop_start()
    client.subscribe(topic, qos=1)
    assert wait_until(lambda: bool(subscribed))
    return client, received


def test_the_listener_client_hands_on_what_paho_decodes_and_decodes_a_plain_publish_itself(broker):
    """IngestClient decodes a QoS 1 PUBLISH without properties itself (its `properties` is None, where
    paho builds an empty Properties object for it); anything else goes through paho's decoder. What the
    callback gets is otherwise what stock paho gives it."""
    assert IngestClient.can_decode, "paho no longer has _handle_publish/_send_puback: its decoder is used"
    topic = f"decode/{uuid.uuid4().hex[:8]}"
    stock, from_stock = mqtt5_subscriber(broker, mqtt.Client, topic)
    ours, from_ours = mqtt5_subscriber(broker, IngestClient, topic)
    assert ours._decode_publish, "paho's client lost a member IngestClient reads: its decoder is used"
    device = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id="", protocol=MQTTProtocolVersion.MQTTv5
    )
    device.connect(broker["host"], broker["port"])
    device.loop_start()
    with_properties = Properties(PacketTypes.PUBLISH)
    with_properties.UserProperty = [("site", "东华门")]
    with_properties.ContentType = "application/json"
    sent = [
        (b'{"n": 1}', 1, None),
        ("中文 payload".encode(), 1, None),
        (b"", 1, None),
        (b'{"n": 2}', 1, with_properties),
        (b'{"n": 3}', 0, None),
        (b"x" * 5000, 1, None),  # a remaining length of two bytes
    ]
    try:
        for payload, qos, properties in sent:
            device.publish(topic, payload, qos=qos, properties=properties).wait_for_publish(10)
        assert wait_until(lambda: len(from_stock) == len(from_ours) == len(sent))
    finally:
        device.disconnect()
        device.loop_stop()
        for client in (stock, ours):
            client.disconnect()
            client.loop_stop()

    def seen(message: mqtt.MQTTMessage) -> tuple:
        return (message.topic, message.payload, message.qos, message.retain, message.dup)

    assert [seen(m) for m in from_ours] == [seen(m) for m in from_stock]
    assert [m.payload for m in from_ours] == [payload for payload, _, _ in sent]
    plain = [
        m for m, (_, qos, properties) in zip(from_ours, sent, strict=True) if qos == 1 and properties is None
    ]
    assert len(plain) == 4
    assert all(m.properties is None for m in plain)
    assert all(m.properties is not None for m in from_stock)
    decoded_by_paho = from_ours[3]
    assert decoded_by_paho.properties.UserProperty == [("site", "东华门")]
    assert decoded_by_paho.properties.ContentType == "application/json"
    assert from_ours[4].qos == 0
    assert from_ours[4].properties is not None


def test_the_listener_client_refuses_per_topic_callbacks():
    client = IngestClient(callback_api_version=CallbackAPIVersion.VERSION2, client_id="no-filters")
    with pytest.raises(TypeError, match="on_message"):
        client.message_callback_add("sensors/+/data", lambda *args: None)
