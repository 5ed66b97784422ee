"""The socket `ws/screen/` (optionally `?grid=<id>`) of the wall screen and the console: one per page.

- Authenticated (closed with 4401 otherwise); the origin is checked in asgi.py; scoped: a screen
  follows one group (`district`, or `grid.<id>` for a per-grid screen) and sees only the events of the
  grids its viewer may see (4403 when the grid is not theirs); a department handler's console sees its
  department's cases (screen.scope.socket_scope).
- The viewer's own group `user.<id>` too: notifications and what is assigned to them arrive on the
  same socket, from a stream of that group (frames of the same shape; the page cannot tell them apart
  and need not). The frame contract is written down in command_center/realtime.py.
- One stream per group and process: a `GroupStream` receives each message of its group once, however
  many screens this process serves, and fans frames out to them. Fifty screens cost one channel-layer
  delivery and, per view (screens with the same scope), one JSON encoding per frame, not fifty.
- Coalesced: a stream sends at most FRAMES_PER_SECOND frames a second; a frame carries the latest event
  of every object that changed in the window (with `since`, the first version the window saw, and
  `events`, the names of all its events in the window), so a storm of 1,000 events a second is 10
  frames a second per screen, not 1,000.
- Gaps: every message carries its group's sequence number (command_center.realtime.send_now). A number
  still missing after GAP_GRACE seconds means the channel layer dropped a message: the next frame says
  `"resync": true` and the pages reload the snapshot. Every TAIL_CHECK seconds the stream also reads
  the group's counter, which reveals a lost last message that no later number would.
"""

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections.abc import Callable
from typing import Any, cast

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder

from accounts.models import User
from command_center import stamps
from command_center.realtime import current_seqs, events_of, user_group
from screen.scope import HEALTH_ALARM_TYPES, BadScreenRequest, ScreenScope, grid_param, socket_scope

logger = logging.getLogger(__name__)

FRAMES_PER_SECOND = 10
FRAME_INTERVAL = 1.0 / FRAMES_PER_SECOND
GAP_GRACE = 1.0  # seconds a sequence number may be late (senders in several processes race)
MAX_MISSING = 1000  # more missing numbers than this is a gap at once
TAIL_CHECK = 2.0  # seconds between comparisons with the group's counter (finds a lost last message)


class View:
    """The screens of one stream that see the same events (same scope): one encoding per frame."""

    def __init__(self, shows: Callable[[dict[str, Any]], bool]) -> None:
        self.shows = shows
        self.screens: set[ScreenConsumer] = set()
        self.pending: dict[tuple[str, int], dict[str, Any]] = {}
        self.count = 0  # numbered messages in the window with an event shown here, before coalescing

    def offer(self, message: dict[str, Any]) -> bool:
        if not self.shows(message):
            return False
        if message.get("kind") == "alarm" and (message.get("data") or {}).get("type") in HEALTH_ALARM_TYPES:
            return False  # device health shows as the sensor's state, not as an alarm on the screen
        key = (str(message.get("kind")), int(message.get("id") or 0))
        # group and seq stay: the page skips events its snapshot already holds (seq <= snapshot's).
        event = {k: v for k, v in message.items() if k != "type"}
        event["since"] = event.get("version")
        event["events"] = [message.get("event")]
        previous = self.pending.pop(key, None)
        if previous is not None:
            names = list(dict.fromkeys([*previous["events"], *event["events"]]))
            if (event.get("version") or 0) < (previous.get("version") or 0):
                event = previous  # an older event arriving late does not replace a newer one
            event["since"] = min(previous["since"] or 0, message.get("version") or 0)
            event["events"] = names  # e.g. alarm.raised and alarm.updated in one window: both named
        self.pending[key] = event  # re-inserted: the frame lists objects in the order they last changed
        return True


class GroupStream:
    """A group's messages for every screen of this process: gap detection, coalescing, fan-out."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.views: dict[Any, View] = {}
        self.top = 0  # the highest sequence number seen (or known sent)
        self.missing: dict[int, float] = {}
        self.gap = False
        self.wake = asyncio.Event()
        self.ready = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        layer = get_channel_layer()
        if layer is None:
            raise ImproperlyConfigured("the wall screen needs a channel layer (CHANNEL_LAYERS)")
        self.layer = layer
        self.channel = ""

    async def start(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        # Numbers sent before we joined are not ours to wait for; the snapshot a page loads after its
        # hello already holds what they said.
        self.top = (await sync_to_async(current_seqs, thread_sensitive=False)([self.group]))[self.group]
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._receive()), loop.create_task(self._pump())]
        self.ready.set()

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.channel:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(self.group, self.channel)

    def attach(self, screen: "ScreenConsumer", key: Any, shows: Callable[[dict[str, Any]], bool]) -> None:
        self.views.setdefault(key, View(shows)).screens.add(screen)

    def detach(self, screen: "ScreenConsumer") -> bool:
        """Forget the screen; True when no screen is left."""
        for key, view in list(self.views.items()):
            view.screens.discard(screen)
            if not view.screens:
                del self.views[key]
        return not self.views

    async def _receive(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A Redis hiccup: whatever it swallowed, the screens reload their snapshot.
                logger.warning("screen stream %s: receive failed", self.group, exc_info=True)
                self.gap = True
                self.wake.set()
                await asyncio.sleep(0.5)
                continue
            self._note_seq(message.get("seq"))
            events = events_of(message)  # a worker's batch arrives as one message
            if stamps.enabled():
                stamps.stamp("layer_received", *{event.get("at") for event in events})
            for view in self.views.values():
                shown = [view.offer(event) for event in events]
                view.count += any(shown)  # numbered messages, as the senders count them
            self.wake.set()

    def _note_seq(self, seq: int | None) -> None:
        if not seq:
            return  # 0: the sender could not number it
        if seq > self.top:
            self.missing.pop(seq, None)
            self._expect(range(self.top + 1, seq))
            self.top = seq
        elif seq < self.top - MAX_MISSING:
            # The counter restarted (Redis flushed): start again from here, after a resync.
            self.top = seq
            self.gap = True
        else:
            self.missing.pop(seq, None)  # a late one: no gap after all

    def _expect(self, seqs: range) -> None:
        """Numbers that should arrive; each may be late by GAP_GRACE seconds before it is a gap."""
        if len(seqs) > MAX_MISSING:
            self.gap = True
            return
        now = asyncio.get_running_loop().time()
        for seq in seqs:
            self.missing.setdefault(seq, now)

    async def _check_tail(self) -> None:
        try:
            latest = (await sync_to_async(current_seqs, thread_sensitive=False)([self.group]))[self.group]
        except Exception:
            logger.warning("screen: sequence counter of %s unavailable", self.group, exc_info=True)
            return
        if latest > self.top:
            self._expect(range(self.top + 1, latest + 1))
            self.top = latest  # they count as sent; when they arrive they are late ones

    def _take_gap(self) -> bool:
        now = asyncio.get_running_loop().time()
        oldest = next(iter(self.missing.values()), None)
        if self.gap or (oldest is not None and oldest <= now - GAP_GRACE):
            self.gap = False
            self.missing.clear()
            return True
        return False

    async def _pump(self) -> None:
        """At most one frame per FRAME_INTERVAL to every screen, carrying everything gathered meanwhile.

        The interval runs from the start of the previous frame, so encoding and sending it (~10 ms for
        50 screens, more on a busy machine) do not add to the next frame's wait."""
        loop = asyncio.get_running_loop()
        next_tail_check = loop.time() + TAIL_CHECK
        next_frame = 0.0  # loop time before which no frame goes out
        while True:
            timeout = max(0.0, next_tail_check - loop.time())
            if self.missing:
                timeout = min(timeout, GAP_GRACE)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout)
            self.wake.clear()
            if loop.time() >= next_tail_check:
                await self._check_tail()
                next_tail_check = loop.time() + TAIL_CHECK
            resync = self._take_gap()
            if not resync and not any(view.pending for view in self.views.values()):
                continue
            if (early := next_frame - loop.time()) > 0:
                await asyncio.sleep(early)
            # 1 ms more: the frames' `t` (wall clock, which the screens count frames by) may run a little
            # faster than the loop's monotonic clock; 11 frames never fit in one second of `t`.
            next_frame = loop.time() + FRAME_INTERVAL + 0.001
            now = time.time()
            for view in list(self.views.values()):
                if not view.pending and not resync:
                    continue
                events, view.pending = list(view.pending.values()), {}
                received, view.count = view.count, 0
                frame = json.dumps(
                    {
                        "type": "events",
                        "events": events,
                        "received": received,  # messages this frame stands for, before coalescing
                        "resync": resync,
                        "t": now,
                    },
                    cls=DjangoJSONEncoder,
                    ensure_ascii=False,
                )
                await asyncio.gather(*(screen.send_frame(frame) for screen in list(view.screens)))
                stamps.stamp("frame_sent", now)  # benchmarks only: the frame's `t`, then handed to daphne


# One set of streams per event loop (a server runs one; tests run one per test).
_streams: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, GroupStream]]" = (
    weakref.WeakKeyDictionary()
)


async def join_stream(group: str) -> GroupStream:
    streams = _streams.setdefault(asyncio.get_running_loop(), {})
    stream = streams.get(group)
    if stream is None:
        stream = streams[group] = GroupStream(group)
        try:
            await stream.start()
        except BaseException:
            streams.pop(group, None)
            raise
    await stream.ready.wait()
    return stream


async def leave_stream(stream: GroupStream, screen: "ScreenConsumer") -> None:
    if stream.detach(screen):
        streams = _streams.get(asyncio.get_running_loop(), {})
        if streams.get(stream.group) is stream:
            del streams[stream.group]
        await stream.stop()


def _everything(event: dict[str, Any]) -> bool:
    return True


class ScreenConsumer(AsyncJsonWebsocketConsumer):
    # No channel of its own: its group's stream receives for every screen of the process. (A name
    # no layer is configured under: channels then gives the consumer no channel layer.)
    channel_layer_alias = "wall-screens-use-group-streams"
    screen: ScreenScope | None
    streams: list[GroupStream]

    async def connect(self) -> None:
        self.screen = None
        self.streams = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        try:
            grid_id = grid_param(self.scope.get("query_string", b"").decode())
        except BadScreenRequest:
            await self.close(code=4400)
            return
        try:
            screen = await database_sync_to_async(socket_scope)(cast(User, user), grid_id)
        except PermissionDenied:
            await self.close(code=4403)
            return
        await self.accept()
        self.screen = screen
        if screen.department_id is not None:
            view_key: Any = ("department", screen.department_id)
        elif screen.grid_ids is None or screen.grid_id is not None:
            view_key = None
        else:
            view_key = screen.grid_ids
        for group in screen.groups:
            stream = await join_stream(group)
            stream.attach(self, view_key, screen.shows)
            self.streams.append(stream)
        # The viewer's own group: everything in it is theirs to see.
        mine = await join_stream(user_group(user.pk))
        mine.attach(self, None, _everything)
        self.streams.append(mine)
        # seqs: where this socket's numbering starts (a client may count what it should receive).
        groups = [stream.group for stream in self.streams]
        await self.send_json(
            {
                "type": "hello",
                "groups": groups,
                "grid": screen.grid_id,
                "seqs": {stream.group: stream.top for stream in self.streams},
            }
        )

    async def disconnect(self, code: int) -> None:
        streams, self.streams = self.streams, []
        for stream in streams:
            await leave_stream(stream, self)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The page sends nothing we act on; the socket is one-way."""

    async def send_frame(self, frame: str) -> None:
        try:
            await self.send(text_data=frame)
        except Exception:
            logger.info("screen frame not sent; the socket is closing", exc_info=True)
