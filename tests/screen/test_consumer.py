"""The wall screen socket ws/screen/: authenticated, origin checked, scoped, coalesced, gap-aware."""

import asyncio
import functools
import itertools
import time
from collections.abc import Coroutine
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from command_center.asgi import application
from command_center.realtime import current_seqs, next_seqs, send_many_now
from screen.consumers import FRAME_INTERVAL, GAP_GRACE, ScreenConsumer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def run_async(test):  # type: ignore[no-untyped-def]
    """Run an async test in its own event loop (no asyncio plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        return async_to_sync(test)(*args, **kwargs)

    return wrapper


def communicator(user, query: str = "") -> WebsocketCommunicator:
    comm = WebsocketCommunicator(ScreenConsumer.as_asgi(), "/ws/screen/" + (f"?{query}" if query else ""))
    comm.scope["user"] = user
    comm.scope["query_string"] = query.encode()
    return comm


async def refused_with(user, query: str = "") -> int | None:
    comm = communicator(user, query)
    connected, code = await comm.connect()
    assert connected is False
    await comm.disconnect()
    return code


class Sender:
    """Sends realtime messages the way command_center.realtime.send_now does, numbered per group in Redis."""

    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.seqs: dict[str, int] = {}

    async def start(self, groups: list[str]) -> None:
        self.seqs.update(await sync_to_async(current_seqs)(groups))

    async def send(
        self,
        *,
        kind="case",
        obj_id=1,
        version=1,
        grid=None,
        groups=("district",),
        skip=False,
        event="",
        **data,
    ):
        for group in groups:
            self.seqs[group] = (await sync_to_async(next_seqs)([group]))[0]  # Redis, or this process
            if skip:
                continue  # as if the layer had dropped it
            await self.layer.group_send(
                group,
                {
                    "type": "realtime.event",
                    "event": event or f"{kind}.updated",
                    "kind": kind,
                    "id": obj_id,
                    "version": version,
                    "grid": grid,
                    "at": "2026-11-21T08:00:00+08:00",
                    "data": {"title": f"{kind} {obj_id}", **data},
                    "group": group,
                    "seq": self.seqs[group],
                },
            )


async def frames_until_quiet(comm: WebsocketCommunicator, quiet: float = 0.6) -> list[dict]:
    # (receive_json_from with a timeout would cancel the consumer when it times out)
    frames = []
    while not await comm.receive_nothing(timeout=quiet, interval=0.02):
        frames.append(await comm.receive_json_from())
    return frames


async def frames_while(comm: WebsocketCommunicator, sending: Coroutine[Any, Any, None]) -> list[dict]:
    """The frames that arrive while `sending` runs, and until the screen is quiet after it."""
    task = asyncio.ensure_future(sending)
    frames = []
    while not task.done():
        if not await comm.receive_nothing(timeout=0.05, interval=0.01):
            frames.append(await comm.receive_json_from())
    await task
    return frames + await frames_until_quiet(comm)


def events_of(frames: list[dict]) -> list[dict]:
    return [event for frame in frames for event in frame["events"]]


@run_async
async def test_anonymous_screens_are_refused(world):
    assert await refused_with(AnonymousUser()) == 4401


@run_async
async def test_grids_outside_the_scope_are_refused(world):
    assert await refused_with(world.handler, f"grid={world.street_grids[0].pk}") == 4403  # no wall screen
    assert await refused_with(world.official, f"grid={world.other_grid.pk}") == 4403
    assert await refused_with(world.worker, f"grid={world.street_grids[1].pk}") == 4403
    assert await refused_with(world.dispatcher, "grid=abc") == 4400


@run_async
async def test_the_origin_is_checked_and_the_session_authenticates(world):
    client = Client()
    await sync_to_async(client.force_login)(world.dispatcher)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    def socket(origin: bytes) -> WebsocketCommunicator:
        return WebsocketCommunicator(
            application,
            "/ws/screen/",
            headers=[(b"host", b"127.0.0.1"), (b"origin", origin), (b"cookie", cookie)],
        )

    evil = socket(b"http://evil.example")
    connected, _code = await evil.connect()
    assert connected is False
    await evil.disconnect()

    mine = f"user.{world.dispatcher.pk}"
    sent_before = await sync_to_async(current_seqs)(["district", mine])
    good = socket(b"http://127.0.0.1")
    connected, _code = await good.connect()
    assert connected is True
    hello = await good.receive_json_from()
    assert hello == {"type": "hello", "groups": ["district", mine], "grid": None, "seqs": sent_before}
    await good.disconnect()

    anonymous = WebsocketCommunicator(
        application, "/ws/screen/", headers=[(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
    )
    connected, code = await anonymous.connect()
    assert (connected, code) == (False, 4401)


@run_async
async def test_each_screen_gets_only_its_scope(world):
    grid_1, grid_2, grid_3 = (g.pk for g in world.street_grids)
    other = world.other_grid.pk
    worker = communicator(world.worker)
    official = communicator(world.official)
    per_grid = communicator(world.dispatcher, f"grid={grid_2}")
    for comm in (worker, official, per_grid):
        connected, _ = await comm.connect()
        assert connected
        await comm.receive_json_from()  # hello
    sender = Sender()
    await sender.start(["district", f"grid.{grid_1}", f"grid.{grid_2}", f"grid.{other}"])

    await sender.send(obj_id=1, grid=grid_1, groups=("district", f"grid.{grid_1}"))
    await sender.send(obj_id=2, grid=grid_2, groups=("district", f"grid.{grid_2}"))
    await sender.send(obj_id=3, grid=other, groups=("district", f"grid.{other}"))
    await sender.send(obj_id=4, grid=None, groups=("district",))  # not located: district screens only
    await sender.send(
        kind="alarm", obj_id=5, grid=grid_1, groups=("district", f"grid.{grid_1}"), type="offline"
    )

    assert [e["id"] for e in events_of(await frames_until_quiet(worker))] == [1]
    assert [e["id"] for e in events_of(await frames_until_quiet(official))] == [1, 2]
    assert [e["id"] for e in events_of(await frames_until_quiet(per_grid))] == [2]
    for comm in (worker, official, per_grid):
        await comm.disconnect()
    assert grid_3  # (a third grid of the street exists and got nothing)


@run_async
async def test_every_event_carries_id_version_and_its_sequence_number(world):
    comm = communicator(world.dispatcher)
    await comm.connect()
    await comm.receive_json_from()
    sender = Sender()
    await sender.start(["district"])
    await sender.send(kind="alarm", obj_id=7, version=3, grid=world.street_grids[0].pk, severity="critical")
    [frame] = await frames_until_quiet(comm)
    [event] = frame["events"]
    assert (event["kind"], event["id"], event["version"], event["since"]) == ("alarm", 7, 3, 3)
    assert event["group"] == "district"
    assert event["seq"] == sender.seqs["district"]
    assert event["data"]["severity"] == "critical"
    assert frame["resync"] is False
    await comm.disconnect()


@run_async
async def test_a_storm_of_1000_events_a_second_reaches_a_screen_in_at_most_10_frames_a_second(world):
    comm = communicator(world.dispatcher)
    await comm.connect()
    await comm.receive_json_from()
    sender = Sender()
    await sender.start(["district"])
    seconds, per_second, objects = 3, 1000, 400
    latest: dict[int, int] = {}

    async def storm() -> None:
        started = time.monotonic()
        for n in range(seconds * per_second):
            obj_id = n % objects
            latest[obj_id] = latest.get(obj_id, 0) + 1
            await sender.send(obj_id=obj_id, version=latest[obj_id], grid=world.street_grids[0].pk)
            if n % 20 == 19:  # pace: 1,000 a second
                await asyncio.sleep(max(0.0, started + (n + 1) / per_second - time.monotonic()))

    frames = await frames_while(comm, storm())
    await comm.disconnect()

    times = [frame["t"] for frame in frames]
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= 10
    assert len(frames) >= seconds * 5  # it kept flowing, not one frame at the end
    assert sum(frame["received"] for frame in frames) == seconds * per_second  # nothing lost
    assert not any(frame["resync"] for frame in frames)
    final: dict[int, int] = {}
    for event in events_of(frames):
        assert event["version"] > final.get(event["id"], 0)  # never an older version after a newer one
        final[event["id"]] = event["version"]
    assert final == latest  # every object ends at its latest version


@run_async
async def test_sending_a_frame_does_not_delay_the_next_one(world, monkeypatch):
    """Frames are FRAME_INTERVAL apart from start to start: a slow send (a busy server, many screens)
    does not add its time to the next frame's wait, and frames never come closer than the interval."""
    send_frame = ScreenConsumer.send_frame

    async def slow_send_frame(self, frame):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.06)
        await send_frame(self, frame)

    monkeypatch.setattr(ScreenConsumer, "send_frame", slow_send_frame)
    comm = communicator(world.dispatcher)
    await comm.connect()
    await comm.receive_json_from()
    sender = Sender()
    await sender.start(["district"])

    async def stream() -> None:
        for n in range(150):  # 100 events a second for 1.5 s
            await sender.send(obj_id=n, grid=world.street_grids[0].pk)
            await asyncio.sleep(0.01)

    frames = await frames_while(comm, stream())
    await comm.disconnect()

    gaps = sorted(b["t"] - a["t"] for a, b in itertools.pairwise(frames))
    assert len(events_of(frames)) == 150
    assert gaps[0] >= FRAME_INTERVAL
    assert gaps[len(gaps) // 2] < FRAME_INTERVAL + 0.04  # not interval + send time (0.16 s)


@run_async
async def test_a_missing_sequence_number_makes_the_screen_resync(world):
    comm = communicator(world.dispatcher)
    await comm.connect()
    await comm.receive_json_from()
    sender = Sender()
    await sender.start(["district"])
    await sender.send(obj_id=1)
    await sender.send(obj_id=2, skip=True)  # dropped by the layer
    await sender.send(obj_id=3)
    started = time.monotonic()
    frames = await frames_until_quiet(comm, quiet=GAP_GRACE + 1.0)
    assert [frame["resync"] for frame in frames][-1] is True
    assert time.monotonic() - started < GAP_GRACE + 2.5
    assert [e["id"] for e in events_of(frames)] == [1, 3]
    await comm.disconnect()


@run_async
async def test_a_late_message_is_not_a_gap(world):
    comm = communicator(world.dispatcher)
    await comm.connect()
    await comm.receive_json_from()
    layer = get_channel_layer()
    base = (await sync_to_async(current_seqs)(["district"]))["district"]
    for obj_id, seq in ((1, base + 1), (3, base + 3), (2, base + 2)):  # 2 overtaken by 3
        await layer.group_send(
            "district",
            {"type": "realtime.event", "event": "case.filed", "kind": "case", "id": obj_id, "version": 1,
             "grid": None, "data": {}, "group": "district", "seq": seq},
        )  # fmt: skip
    frames = await frames_until_quiet(comm, quiet=GAP_GRACE + 0.8)
    assert not any(frame["resync"] for frame in frames)
    assert sorted(e["id"] for e in events_of(frames)) == [1, 2, 3]
    await comm.disconnect()


@run_async
async def test_a_lost_last_message_is_found_by_the_counter_check_and_resyncs_once(world, monkeypatch):
    from screen import consumers

    monkeypatch.setattr(consumers, "TAIL_CHECK", 0.3)
    comm = communicator(world.dispatcher)
    await comm.connect()
    await comm.receive_json_from()
    sender = Sender()
    await sender.start(["district"])
    await sender.send(obj_id=1)
    await sender.send(obj_id=2, skip=True)  # the last one is lost: no later number reveals it
    frames = await frames_until_quiet(comm, quiet=GAP_GRACE + 1.5)
    assert [frame["resync"] for frame in frames] == [False, True]
    assert await comm.receive_nothing(timeout=GAP_GRACE + 1.0)  # and not again and again
    await comm.disconnect()


@run_async
async def test_events_of_one_object_in_one_window_become_one_entry_naming_them_all(world):
    comm = communicator(world.dispatcher)
    await comm.connect()
    await comm.receive_json_from()
    sender = Sender()
    await sender.send(obj_id=1)
    first = await comm.receive_json_from()  # sent at once; the next frame waits FRAME_INTERVAL
    assert [e["id"] for e in first["events"]] == [1]
    await sender.send(kind="alarm", obj_id=9, version=1, event="alarm.raised", severity="critical")
    await sender.send(kind="alarm", obj_id=9, version=2, event="alarm.updated", severity="critical", count=2)
    await sender.send(kind="alarm", obj_id=9, version=3, event="alarm.updated", severity="critical", count=3)
    [second] = await frames_until_quiet(comm)
    [event] = second["events"]
    assert second["received"] == 3
    assert (event["version"], event["since"]) == (3, 1)
    assert event["events"] == ["alarm.raised", "alarm.updated"]
    assert event["data"]["count"] == 3
    await comm.disconnect()


@run_async
async def test_screens_of_one_process_share_one_stream_per_group(world):
    from screen.consumers import _streams

    screens = [communicator(user) for user in (world.dispatcher, world.dispatcher, world.official)]
    for comm in screens:
        assert (await comm.connect())[0]
        await comm.receive_json_from()
    streams = _streams[asyncio.get_running_loop()]
    # Each viewer's own group has a stream too, shared by that viewer's sockets.
    assert set(streams) == {"district", f"user.{world.dispatcher.pk}", f"user.{world.official.pk}"}
    assert len(streams[f"user.{world.dispatcher.pk}"].views[None].screens) == 2
    assert len(streams["district"].views) == 2  # the whole district, and the official's street
    sender = Sender()
    await sender.send(obj_id=5, grid=world.street_grids[0].pk)
    frames = [await frames_until_quiet(comm) for comm in screens]
    assert frames[0] == frames[1]  # one encoding for both dispatchers' screens
    assert [e["id"] for e in events_of(frames[2])] == [5]
    for comm in screens:
        await comm.disconnect()
    assert streams == {}  # the last screen gone, the stream leaves the group


@run_async
async def test_a_workers_batch_is_one_numbered_message_and_every_event_reaches_the_screen(world):
    """send_many_now sends a batch (an alarm storm's commit) as one message per group: the screen shows
    each event and counts one message, as many as were numbered, so nothing looks dropped."""
    grid_1, grid_2 = world.street_grids[0].pk, world.street_grids[1].pk
    official = communicator(world.official)  # the official's scope: the street's grids only
    dispatcher = communicator(world.dispatcher)
    for comm in (official, dispatcher):
        assert (await comm.connect())[0]
        await comm.receive_json_from()
    before = await sync_to_async(current_seqs)(["district"])
    other = world.other_grid.pk
    batch = [
        (["district", f"grid.{grid}"], {"type": "realtime.event", "event": "alarm.raised", "kind": "alarm",
                                        "id": n, "version": 1, "grid": grid, "at": "2026-11-30T08:00:00+08:00",
                                        "data": {"title": f"alarm {n}"}})
        for n, grid in enumerate([grid_1, grid_2, other, grid_1], start=1)
    ]  # fmt: skip
    await sync_to_async(send_many_now)(batch)
    after = await sync_to_async(current_seqs)(["district"])
    assert after["district"] == before["district"] + 1  # one numbered message for the district

    frames = await frames_until_quiet(dispatcher)
    assert [e["id"] for e in events_of(frames)] == [1, 2, 3, 4]
    assert {e["seq"] for e in events_of(frames)} == {after["district"]}
    assert sum(frame["received"] for frame in frames) == 1
    assert not any(frame["resync"] for frame in frames)
    assert [e["id"] for e in events_of(await frames_until_quiet(official))] == [1, 2, 4]
    for comm in (official, dispatcher):
        await comm.disconnect()


@run_async
async def test_the_viewers_own_group_reaches_their_socket_and_no_one_elses(world):
    """Notifications go to `user.<id>`: the socket of that user gets them, another user's does not."""
    mine, other = communicator(world.dispatcher), communicator(world.official)
    for comm in (mine, other):
        assert (await comm.connect())[0]
        await comm.receive_json_from()
    group = f"user.{world.dispatcher.pk}"
    sender = Sender()
    await sender.start([group])
    await sender.send(kind="notification", obj_id=41, groups=(group,), event="notification.created")
    [event] = events_of(await frames_until_quiet(mine))
    assert (event["kind"], event["id"], event["group"], event["event"]) == (
        "notification",
        41,
        group,
        "notification.created",
    )
    assert events_of(await frames_until_quiet(other)) == []
    for comm in (mine, other):
        await comm.disconnect()


@run_async
async def test_a_handlers_socket_gets_its_departments_cases(world):
    """A department handler has no wall screen but a console: its socket follows the cases of its
    department (and its own group), nothing else of the district."""
    from accounts.models import Department

    water = await sync_to_async(Department.objects.create)(code="water", name="水务", kind="water")
    world.handler.department = water
    await sync_to_async(world.handler.save)(update_fields=["department"])
    comm = communicator(world.handler)
    connected, _code = await comm.connect()
    assert connected
    hello = await comm.receive_json_from()
    assert hello["groups"] == ["district", f"user.{world.handler.pk}"]
    sender = Sender()
    await sender.start(["district"])
    grid = world.street_grids[0].pk
    await sender.send(obj_id=1, grid=grid, department=water.pk)
    await sender.send(obj_id=2, grid=grid, department=water.pk + 1000)
    await sender.send(kind="alarm", obj_id=3, grid=grid, severity="critical")
    assert [e["id"] for e in events_of(await frames_until_quiet(comm))] == [1]
    await comm.disconnect()
