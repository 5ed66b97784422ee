"""ingest_messages: valid messages stored once, every bad one kept as a dead letter with its reason."""

import pytest
from django.utils import timezone

from devices.models import DeadLetter, Inbox, SensorPoint
from devices.services import ingest_messages, process_inbox
from tests.devices.conftest import payload, received
from tests.devices.factories import SensorPointFactory

pytestmark = pytest.mark.django_db


def test_one_message_id_delivered_three_times_is_stored_once():
    point = SensorPointFactory()
    copy = received(point.code, id="same-id", value=0)
    first = ingest_messages(messages=[copy], enqueue=False)
    second = ingest_messages(messages=[copy, copy], enqueue=False)
    assert (len(first.stored), first.duplicates) == (1, 0)
    assert (len(second.stored), second.duplicates) == (0, 2)
    assert Inbox.objects.filter(device_code=point.code, msg_id="same-id").count() == 1
    assert DeadLetter.objects.count() == 0


def test_the_same_id_from_two_devices_is_two_messages():
    a, b = SensorPointFactory(), SensorPointFactory()
    result = ingest_messages(messages=[received(a.code, id="x"), received(b.code, id="x")], enqueue=False)
    assert len(result.stored) == 2


def test_a_stored_message_carries_its_parsed_fields():
    point = SensorPointFactory()
    at = timezone.now().replace(microsecond=0)
    ingest_messages(messages=[received(point.code, at=at, id="a1", value=1, battery=55)], enqueue=False)
    row = Inbox.objects.get(msg_id="a1")
    assert (row.point_id, row.type, row.value, row.battery, row.ts, row.processed_at) == (
        point.id, "smoke", 1.0, 55, at, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "reason"),
    [(SensorPoint.Status.MAINTENANCE, "inactive_device"), (SensorPoint.Status.RETIRED, "inactive_device")],
)
def test_inactive_devices_are_dead_letters(status, reason):
    point = SensorPointFactory(status=status)
    result = ingest_messages(messages=[received(point.code)], enqueue=False)
    assert (result.stored, result.dead_letters) == ([], 1)
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.device_code) == (reason, point.code)


def test_unknown_device_is_a_dead_letter_with_the_exact_bytes():
    raw = payload(id="u-1")
    ingest_messages(messages=[received("NOBODY-1", raw=raw)], enqueue=False)
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.device_code, letter.topic) == (
        "unknown_device",
        "NOBODY-1",
        "sensors/NOBODY-1/data",
    )
    assert bytes(letter.payload) == raw


def test_a_batch_with_good_and_bad_messages_keeps_all_of_them():
    point = SensorPointFactory()
    messages = [
        received(point.code, id="ok-1"),
        received(point.code, raw=b"{not json"),
        received(point.code, raw=b"x" * 5000),
        received("bad/topic", id="t"),
        received(point.code, id="ok-2", type="door"),
        received(point.code, id="ok-1"),  # a duplicate within the batch
    ]
    result = ingest_messages(messages=messages, enqueue=False)
    assert (len(result.stored), result.dead_letters, result.duplicates) == (2, 3, 1)
    assert sorted(DeadLetter.objects.values_list("reason", flat=True)) == [
        "bad_topic",
        "malformed_json",
        "oversize",
    ]
    assert set(Inbox.objects.values_list("msg_id", flat=True)) == {"ok-1", "ok-2"}


def test_new_types_come_from_the_scene_catalogue():
    point = SensorPointFactory()
    assert (
        ingest_messages(messages=[received(point.code, type="pm25", value=80)], enqueue=False).dead_letters
        == 1
    )
    point.scene.__class__.objects.create(code="air", name="空气质量", sensor_type="pm25", threshold=75)
    from devices import services

    services._catalogue_cache = (0.0, frozenset())
    assert (
        len(ingest_messages(messages=[received(point.code, type="pm25", value=80)], enqueue=False).stored)
        == 1
    )


def test_processing_twice_is_harmless():
    point = SensorPointFactory()
    ids = ingest_messages(messages=[received(point.code, value=0)], enqueue=False).stored
    assert process_inbox(ids=ids) == 1
    assert process_inbox(ids=ids) == 0
    row = Inbox.objects.get()
    assert row.processed_at is not None
    assert row.attempts == 0  # a first delivery writes no attempt (hot path)


def test_a_redelivered_task_counts_the_attempt_first():
    point = SensorPointFactory()
    ids = ingest_messages(messages=[received(point.code, value=0)], enqueue=False).stored
    assert process_inbox(ids=ids, redelivered=True) == 1
    assert Inbox.objects.get().attempts == 1


def test_enqueue_happens_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    point = SensorPointFactory()
    queued: list[list[int]] = []
    monkeypatch.setattr("devices.services.enqueue_inbox", lambda ids: queued.append(list(ids)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = ingest_messages(messages=[received(point.code), received(point.code)])
    assert queued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert queued == [result.stored]
