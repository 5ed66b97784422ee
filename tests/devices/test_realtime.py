"""Alarm events reach the district and grid groups after commit, with the alarm id and its version."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.utils import timezone

from command_center.realtime import grid_group
from devices.alarms.actions import clear_alarm
from devices.ingest import ingest_messages
from devices.models import Alarm
from devices.processing import process_inbox
from tests.devices.conftest import received
from tests.devices.factories import SensorPointFactory
from tests.factories import UserFactory


async def _listen(groups: list[str], action, count: int) -> list[dict]:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    await asyncio.sleep(0.2)  # the pub/sub layer subscribes
    await asyncio.get_running_loop().run_in_executor(None, action)
    frames = []
    try:
        for _ in range(count):
            frames.append(await asyncio.wait_for(layer.receive(channel), timeout=5))
    finally:
        for group in groups:
            await layer.group_discard(group, channel)
    return frames


def test_alarm_raised_updated_and_cleared_events(transactional_db):
    point = SensorPointFactory()
    t0 = timezone.now() - timedelta(minutes=10)
    user = UserFactory(role="dispatcher")

    def work():  # in another thread, with its own connection: every call commits and broadcasts
        try:
            for n in range(2):
                at = (t0 + timedelta(seconds=n)).isoformat()
                process_inbox(
                    ids=ingest_messages(messages=[received(point.code, ts=at)], enqueue=False).stored
                )
            clear_alarm(alarm_id=Alarm.objects.get(point=point).pk, user=user)
        finally:
            connection.close()

    frames = async_to_sync(_listen)([grid_group(point.grid_id)], work, 3)
    alarm = Alarm.objects.get(point=point)
    assert [(f["event"], f["kind"], f["id"], f["version"]) for f in frames] == [
        ("alarm.raised", "alarm", alarm.pk, 1),
        ("alarm.updated", "alarm", alarm.pk, 2),
        ("alarm.cleared", "alarm", alarm.pk, 3),
    ]
    data = frames[0]["data"]
    assert (data["sensor_point"], data["scene"], data["severity"], data["status"], data["count"]) == (
        point.code,
        "smoke",
        "critical",
        "active",
        1,
    )
    assert (data["lat"], data["lng"], data["place"]) == (point.lat, point.lng, point.compound.name)
    assert frames[1]["data"]["count"] == 2
    assert frames[2]["data"]["status"] == "cleared"
    assert frames[0]["grid"] == point.grid_id


@pytest.mark.django_db
def test_events_wait_for_the_commit(django_capture_on_commit_callbacks, monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr("command_center.realtime.send_now", lambda groups, message: sent.append(message))
    point = SensorPointFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        process_inbox(ids=ingest_messages(messages=[received(point.code)], enqueue=False).stored)
        assert sent == []  # nothing before the commit
    assert len(callbacks) == 2  # the alarm.raised broadcast and the case enqueue, both after commit
