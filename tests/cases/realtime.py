"""Listen to channel-layer groups from a test, in a thread with its own event loop (the Redis layer
keeps its connections per loop)."""

import asyncio
import threading
import time
from typing import Any

from channels.layers import get_channel_layer

from command_center.realtime import events_of


class GroupListener:
    def __init__(self, *groups: str) -> None:
        self.groups = groups
        self.messages: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "GroupListener":
        self._thread.start()
        if not self._ready.wait(10):
            raise TimeoutError("could not subscribe to the channel layer")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._listen())

    async def _listen(self) -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        for group in self.groups:
            await layer.group_add(group, channel)
        self._ready.set()
        try:
            while not self._stop.is_set():
                try:
                    message = await asyncio.wait_for(layer.receive(channel), 0.5)
                    self.messages.extend(events_of(message))  # a batch of events is one message
                except TimeoutError:
                    continue
        finally:
            for group in self.groups:
                await layer.group_discard(group, channel)

    def wait_for(self, predicate, timeout: float = 20.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in list(self.messages):
                if predicate(message):
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no matching message in {len(self.messages)}: {self.messages[-5:]}")
