"""Dead letters keep the first 4 KiB, the size and the SHA-256 of what arrived, whatever its size; a
message on any topic under sensors/ other than a device's data topic becomes one too."""

import hashlib
import json
import os
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from devices.ingest import Received, dead_letter_raw, ingest_messages
from devices.models import DeadLetter, Inbox
from devices.mqtt.listener import IngestListener
from tests.devices.factories import SensorPointFactory
from tests.devices.helpers import Publisher, wait_until

MEGABYTE = 1024 * 1024


def store_only(items):  # the listener's store without the Celery hop
    return ingest_messages(messages=items, enqueue=False)


@pytest.fixture
def listener(private_mosquitto, transactional_db):
    running = IngestListener(
        host=private_mosquitto["host"],
        port=private_mosquitto["port"],
        client_id=f"test-{uuid.uuid4().hex[:8]}",
        shared_subscription=True,
        store=store_only,
    )
    running.start()
    assert running.wait_connected(10)
    yield running
    running.stop()


@pytest.fixture
def publisher(private_mosquitto):
    client = Publisher(private_mosquitto["host"], private_mosquitto["port"])
    yield client
    client.close()


@pytest.mark.integration
def test_a_megabyte_through_mosquitto_keeps_4_kib_its_size_and_its_hash(listener, publisher):
    point = SensorPointFactory()
    body = {"id": "big", "ts": timezone.now().isoformat(), "type": "smoke", "value": 0}
    raw = json.dumps({**body, "pad": ""}).encode()
    raw = raw[:-2] + b"x" * (MEGABYTE - len(raw)) + b'"}'  # valid JSON, exactly 1 MiB
    assert len(raw) == MEGABYTE

    publisher.publish(f"sensors/{point.code}/data", raw)
    publisher.reading(point.code, id="after-the-big-one")

    assert wait_until(lambda: Inbox.objects.filter(msg_id="after-the-big-one").exists())
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.device_code) == ("oversize", point.code)
    assert bytes(letter.payload) == raw[:4096]
    assert (letter.size, letter.sha256) == (MEGABYTE, hashlib.sha256(raw).hexdigest())
    assert letter.truncated
    with connection.cursor() as cursor:
        cursor.execute("SELECT length(payload) FROM devices_deadletter")
        assert cursor.fetchone() == (4096,)  # what the table holds, not only what the model shows


WRONG_TOPICS = ["sensors/x", "sensors/a/b/c", "sensors/{code}/status", "sensors/a/b/data", "sensors/{code}"]


@pytest.mark.integration
def test_messages_on_other_topics_under_sensors_become_dead_letters(listener, publisher):
    point = SensorPointFactory()
    raw = json.dumps({"id": "t", "ts": timezone.now().isoformat(), "type": "smoke", "value": 0}).encode()
    topics = [topic.format(code=point.code) for topic in WRONG_TOPICS]
    for topic in topics:
        publisher.publish(topic, raw)
    publisher.reading(point.code, id="on-the-right-topic")

    assert wait_until(lambda: DeadLetter.objects.count() == len(topics) and Inbox.objects.exists())
    letters = {letter.topic: letter for letter in DeadLetter.objects.all()}
    assert set(letters) == set(topics)
    assert {letter.reason for letter in letters.values()} == {"bad_topic"}
    assert letters[f"sensors/{point.code}/status"].device_code == point.code  # found by the device's code
    assert letters["sensors/x"].device_code == ""
    assert Inbox.objects.get().msg_id == "on-the-right-topic"


@pytest.mark.django_db
def test_the_listeners_last_resort_keeps_4_kib_too():
    raw = os.urandom(10_000)
    dead_letter_raw(Received("sensors/SD-1/data", raw, timezone.now()), detail="could not be stored")

    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.device_code) == ("processing_failed", "SD-1")
    assert (bytes(letter.payload), letter.size) == (raw[:4096], 10_000)
    assert letter.sha256 == hashlib.sha256(raw).hexdigest()


@pytest.mark.django_db
def test_a_message_within_the_limit_is_kept_whole():
    raw = b'{"id": "x", ' + b" " * 4000 + b"}"
    ingest_messages(messages=[Received("sensors/NOBODY/data", raw, timezone.now())], enqueue=False)

    letter = DeadLetter.objects.get()
    assert (bytes(letter.payload), letter.size, letter.truncated) == (raw, len(raw), False)


@pytest.mark.django_db(transaction=True)
def test_the_migration_measures_and_trims_the_dead_letters_stored_before():
    before, after = (
        [("devices", "0002_inbox_hot_processed_mark")],
        [("devices", "0003_deadletter_size_sha256")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("devices", "DeadLetter")
        big, small = os.urandom(MEGABYTE), b'{"id": 1}'
        for raw in (big, small):
            old.objects.create(
                reason="oversize", topic="sensors/a/data", payload=raw, received_at=timezone.now()
            )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("devices", "DeadLetter")
        rows = {row.size: row for row in new.objects.all()}
        assert set(rows) == {MEGABYTE, len(small)}
        assert bytes(rows[MEGABYTE].payload) == big[:4096]
        assert rows[MEGABYTE].sha256 == hashlib.sha256(big).hexdigest()
        assert (bytes(rows[len(small)].payload), rows[len(small)].sha256) == (
            small,
            hashlib.sha256(small).hexdigest(),
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
