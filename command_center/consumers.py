"""The wall screen socket `ws/screen/` (optionally `?grid=<id>`): one per screen.

- Authenticated (closed with 4401 otherwise); the origin is checked in asgi.py; scoped: the screen
  joins only the groups its viewer may see and drops events of grids outside that scope (4403 when the
  viewer may not have a screen or the requested grid is not theirs).
- Coalesced: events are gathered and sent at most FRAMES_PER_SECOND times a second; a frame carries
  the latest event of every object that changed in the window (with `since`, the first version the
  window saw, and `events`, the names of all its events in the window), so a storm of 1,000 events a
  second is 10 frames, not 1,000.
- Gaps: every message carries its group's sequence number (command_center.realtime.send_now). A number
  still missing after GAP_GRACE seconds means the channel layer dropped a message: the next frame says
  `"resync": true` and the page reloads the snapshot. Every TAIL_CHECK seconds the consumer also reads
  the groups' counters, which reveals a lost last message that no later number would.
"""

import asyncio
import contextlib
import logging
import time
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied

from command_center.realtime import current_seqs
from command_center.screen import HEALTH_ALARM_TYPES, BadScreenRequest, ScreenScope, grid_param, screen_scope

logger = logging.getLogger(__name__)

FRAMES_PER_SECOND = 10
FRAME_INTERVAL = 1.0 / FRAMES_PER_SECOND
GAP_GRACE = 1.0  # seconds a sequence number may be late (senders in several processes race)
MAX_MISSING = 1000  # more missing numbers than this is a gap at once
TAIL_CHECK = 2.0  # seconds between comparisons with the groups' counters (finds a lost last message)


class ScreenConsumer(AsyncJsonWebsocketConsumer):
    screen: ScreenScope | None
    joined: list[str]

    async def connect(self) -> None:
        self.screen = None
        self.joined = []
        self.pending: dict[tuple[str, int], dict[str, Any]] = {}
        self.window_count = 0
        self.top: dict[str, int] = {}
        self.missing: dict[tuple[str, int], float] = {}
        self.gap = False
        self.wake = asyncio.Event()
        self.pump: asyncio.Task[None] | None = None
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
            screen = await database_sync_to_async(screen_scope)(user, grid_id)
        except PermissionDenied:
            await self.close(code=4403)
            return
        for group in screen.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined = screen.groups
        self.screen = screen
        # Numbers sent before we joined are not ours to wait for; the snapshot the page loads next
        # already holds what they said.
        self.top = await sync_to_async(current_seqs)(screen.groups)
        await self.accept()
        self.pump = asyncio.get_running_loop().create_task(self._pump())
        # seqs: where this screen's numbering starts (a client may count what it should receive).
        await self.send_json(
            {"type": "hello", "groups": screen.groups, "grid": screen.grid_id, "seqs": self.top}
        )

    async def disconnect(self, code: int) -> None:
        if self.pump is not None:
            self.pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.pump
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The page sends nothing we act on; the socket is one-way."""

    async def realtime_event(self, message: dict[str, Any]) -> None:
        if self.screen is None:
            return
        self._note_seq(message.get("group"), message.get("seq"))
        if not self.screen.shows_grid(message.get("grid")):
            return
        if message.get("kind") == "alarm" and (message.get("data") or {}).get("type") in HEALTH_ALARM_TYPES:
            return  # device health shows as the sensor's state, not as an alarm on the screen
        key = (str(message.get("kind")), int(message.get("id") or 0))
        # group and seq stay: the page skips events its snapshot already holds (seq <= snapshot's).
        event = {k: v for k, v in message.items() if k != "type"}
        event["since"] = event.get("version")
        event["events"] = [message.get("event")]
        previous = self.pending.pop(key, None)
        if previous is not None:
            names = [
                *previous["events"],
                *(name for name in event["events"] if name not in previous["events"]),
            ]
            if (event.get("version") or 0) < (previous.get("version") or 0):
                event = previous  # an older event arriving late does not replace a newer one
            event["since"] = min(previous["since"] or 0, message.get("version") or 0)
            event["events"] = names  # e.g. alarm.raised and alarm.updated in one window: both named
        self.pending[key] = event  # re-inserted: the frame lists objects in the order they last changed
        self.window_count += 1
        self.wake.set()

    def _note_seq(self, group: str | None, seq: int | None) -> None:
        if not group or not seq:
            return  # 0: the sender could not number it
        top = self.top.get(group, 0)
        if seq > top:
            self.missing.pop((group, seq), None)
            self._expect(group, range(top + 1, seq))
            self.top[group] = seq
        elif seq < top - MAX_MISSING:
            # The counter restarted (Redis flushed): start again from here, after a resync.
            self.top[group] = seq
            self.gap = True
        else:
            self.missing.pop((group, seq), None)  # a late one: no gap after all

    def _expect(self, group: str, seqs: range) -> None:
        """Numbers that should arrive; each may be late by GAP_GRACE seconds before it is a gap."""
        if len(seqs) > MAX_MISSING:
            self.gap = True
            return
        now = asyncio.get_running_loop().time()
        for seq in seqs:
            self.missing.setdefault((group, seq), now)

    async def _check_tail(self) -> None:
        """A dropped last message leaves no later number to reveal the gap: compare with the counters."""
        try:
            latest = await sync_to_async(current_seqs)(self.joined)
        except Exception:
            logger.warning("screen: sequence counters unavailable", exc_info=True)
            return
        for group, seq in latest.items():
            top = self.top.get(group, 0)
            if seq > top:
                self._expect(group, range(top + 1, seq + 1))
                self.top[group] = seq  # they count as sent; when they arrive they are late ones

    def _take_gap(self) -> bool:
        now = asyncio.get_running_loop().time()
        oldest = next(iter(self.missing.values()), None)
        if self.gap or (oldest is not None and oldest <= now - GAP_GRACE):
            self.gap = False
            self.missing.clear()
            return True
        return False

    async def _pump(self) -> None:
        """Send at most one frame per FRAME_INTERVAL, carrying everything gathered meanwhile."""
        loop = asyncio.get_running_loop()
        next_tail_check = loop.time() + TAIL_CHECK
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
            if self.pending or resync:
                events, self.pending = list(self.pending.values()), {}
                received, self.window_count = self.window_count, 0
                try:
                    await self.send_json(
                        {
                            "type": "events",
                            "events": events,
                            "received": received,  # messages this frame stands for, before coalescing
                            "resync": resync,
                            "t": time.time(),
                        }
                    )
                except Exception:
                    logger.warning("screen frame not sent; the socket is closing", exc_info=True)
                    return
                await asyncio.sleep(FRAME_INTERVAL)
