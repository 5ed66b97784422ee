"""The one realtime helper: sends to the right groups, only after commit, never on rollback."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from command_center.realtime import broadcast_on_commit, current_seqs, event_groups, events_of, send_many_now

pytestmark = pytest.mark.django_db


def test_event_groups_name_the_district_the_grid_and_the_users():
    assert event_groups(grid_id=7, user_ids=[3, 4]) == ["district", "grid.7", "user.3", "user.4"]
    assert event_groups() == ["district"]


def received(groups, action, timeout=1.0):
    """Messages that reach a channel joined to `groups` while `action` (sync) runs and `timeout` after.

    One event loop for the whole listen: the pub/sub layer keeps one connection per loop."""

    async def listen():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        for group in groups:
            await layer.group_add(group, channel)
        await sync_to_async(action, thread_sensitive=False)()
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), timeout))
            except TimeoutError:
                return messages

    return async_to_sync(listen)()


def test_broadcast_waits_for_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        broadcast_on_commit(
            event="alarm.raised", kind="alarm", obj_id=5, version=2, data={"title": "烟感报警"}, grid_id=12
        )
    assert received(["grid.12"], lambda: None, timeout=0.3) == []  # nothing before the commit

    def commit():
        for callback in callbacks:
            callback()

    [message] = received(["grid.12"], commit)

    assert message["type"] == "realtime.event"
    assert (message["event"], message["kind"], message["id"], message["version"]) == (
        "alarm.raised",
        "alarm",
        5,
        2,
    )
    assert message["data"] == {"title": "烟感报警"}
    assert message["grid"] == 12
    assert received(["grid.13"], commit, timeout=0.3) == []  # another grid's screen gets nothing


def test_broadcast_inside_a_rolled_back_block_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                broadcast_on_commit(event="case.filed", kind="case", obj_id=1, version=1, data={})
                raise RuntimeError("roll back")
        except RuntimeError:
            pass

    assert callbacks == []


def test_a_batch_is_one_message_per_group_and_unpacks_to_its_events():
    def event(n: int, grid: int) -> tuple[list[str], dict]:
        return event_groups(grid_id=grid), {"type": "realtime.event", "event": "alarm.updated", "kind": "alarm",
                                             "id": n, "version": 2, "grid": grid, "data": {}}  # fmt: skip

    groups = ["district", "grid.12", "grid.13"]
    before = current_seqs(groups)
    messages = received(groups, lambda: send_many_now([event(1, 12), event(2, 12), event(3, 13)]))
    after = current_seqs(groups)
    by_group = {m["group"]: m for m in messages}
    assert len(messages) == 3
    assert set(by_group) == set(groups)
    assert by_group["district"]["type"] == "realtime.events"
    assert [e["id"] for e in events_of(by_group["district"])] == [1, 2, 3]
    assert {(e["group"], e["seq"]) for e in events_of(by_group["district"])} == {
        ("district", after["district"])
    }
    assert [e["id"] for e in events_of(by_group["grid.12"])] == [1, 2]
    alone = by_group["grid.13"]  # a single event travels as it is
    assert (alone["type"], alone["id"], alone["seq"]) == ("realtime.event", 3, after["grid.13"])
    assert events_of(alone) == [alone]
    assert [after[g] - before[g] for g in groups] == [1, 1, 1]
