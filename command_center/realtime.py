"""The one place that sends to WebSocket groups, and the one place an event's shape is built.

Groups: `district` (the whole deployment), `grid.<id>`, `user.<id>`. Sends happen after the surrounding
transaction commits, so a screen never shows a row a rollback removed. Every event carries the object
id and its version: the channel layer may drop messages, and a client that sees a gap reloads the
snapshot (`/api/v1/screen/snapshot`).

The contract, end to end (the pages decode it with the one shared script `static/js/realtime.js`):

- An event (`event_message`): `{"event": "case.filed", "kind": "case", "id": 12, "version": 4,
  "grid": 3, "at": ISO time, "data": {...}}`; on the way through a group it gains that group's
  sequence number (`group`, `seq`).
- The socket `ws/screen/` (screen/consumers.py) sends two kinds of frame: `{"type": "hello",
  "groups": [...], "seqs": {...}}` when it opens, and `{"type": "events", "events": [event, ...],
  "received": n, "resync": bool, "t": time}`, at most ten a second per group; a coalesced event also
  carries `since` (the first version of the window) and `events` (every event name of the window).
- A page reloads what it shows on every hello (connected or reconnected), on `"resync": true` (the
  server saw a sequence gap), and when an object's version jumps by more than one.
- `user.<id>`: every socket also follows its viewer's own group (a second stream of the same socket,
  not a second socket): in-app notifications (`kind` "notification") and the cases assigned to them.
"""

import asyncio
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from command_center import stamps

logger = logging.getLogger(__name__)

DISTRICT_GROUP = "district"


def grid_group(grid_id: int) -> str:
    return f"grid.{grid_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def event_groups(*, grid_id: int | None = None, user_ids: Iterable[int] = ()) -> list[str]:
    """The groups an event about something in `grid_id` (and for these users) goes to."""
    groups = [DISTRICT_GROUP]
    if grid_id is not None:
        groups.append(grid_group(grid_id))
    groups.extend(user_group(user_id) for user_id in user_ids)
    return groups


# Per-group sequence numbers: a receiver that sees one missing knows the layer dropped a message
# (channel layers may drop) and reloads the snapshot. Redis when there is one (several processes
# send), else a counter in this process (standalone: one process).
SEQ_KEY = "realtime:seq:"
_local_seq: Counter[str] = Counter()
_local_lock = threading.Lock()
_redis: redis.Redis | None = None


def _seq_client() -> redis.Redis | None:
    global _redis
    if not settings.REDIS_URL:
        return None
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


def next_seqs(groups: list[str]) -> list[int]:
    client = _seq_client()
    if client is None:
        with _local_lock:
            _local_seq.update(groups)
            return [_local_seq[group] for group in groups]
    pipe = client.pipeline(transaction=False)
    for group in groups:
        pipe.incr(SEQ_KEY + group)
    return [int(value) for value in pipe.execute()]


def current_seqs(groups: list[str]) -> dict[str, int]:
    """The last sequence number sent to each group (0 when none yet)."""
    client = _seq_client()
    if client is None:
        with _local_lock:
            return {group: _local_seq[group] for group in groups}
    values = client.mget([SEQ_KEY + group for group in groups]) if groups else []
    return {group: int(value or 0) for group, value in zip(groups, values, strict=True)}


# Sync callers (Celery workers, request threads) send through one event loop of their own, kept in a
# daemon thread: async_to_sync would start a loop per call, and the Redis layers open their connections
# per loop, which made a send cost ~4 ms per group instead of a fraction of one.
_sender: tuple[int, asyncio.AbstractEventLoop] | None = None
_sender_lock = threading.Lock()
SEND_TIMEOUT = 5.0


def _sender_loop() -> asyncio.AbstractEventLoop:
    global _sender
    with _sender_lock:
        if _sender is None or _sender[0] != os.getpid():  # a forked worker needs its own thread
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="realtime-send", daemon=True).start()
            _sender = (os.getpid(), loop)
        return _sender[1]


async def _send_all(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    for group, message in messages:
        try:
            await layer.group_send(group, message)
        except Exception:
            # A lost frame is recovered by the client's resync; a failed send must not fail the caller.
            logger.exception("realtime send to %s failed", group)


def send_now(groups: Iterable[str], message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    stamps.stamp("committed", message.get("at"))  # runs on commit; benchmarks only
    groups = list(groups)
    try:
        seqs = next_seqs(groups)
    except Exception:
        logger.exception("realtime sequence numbers unavailable")
        seqs = [0] * len(groups)  # 0: receivers cannot check this one for gaps
    messages = [
        (group, {**message, "group": group, "seq": seq}) for group, seq in zip(groups, seqs, strict=True)
    ]
    if not settings.REDIS_URL:
        # The in-memory layer (standalone, one process) lives on the server's loop: keep asgiref's way.
        async_to_sync(_send_all)(layer, messages)
        return
    try:
        asyncio.run_coroutine_threadsafe(_send_all(layer, messages), _sender_loop()).result(SEND_TIMEOUT)
    except Exception:
        logger.exception("realtime send to %s failed", groups)
    stamps.stamp("sent", message.get("at"))


def event_message(
    *,
    event: str,
    kind: str,
    obj_id: int,
    version: int,
    data: dict[str, Any],
    grid_id: int | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """The one shape of a realtime event (the module docstring describes the frames around it)."""
    return {
        "type": "realtime.event",
        "event": event,
        "kind": kind,
        "id": obj_id,
        "version": version,
        "grid": grid_id,
        "at": at or timezone.now().isoformat(),
        "data": data,
    }


def send_to_users_on_commit(user_ids: Iterable[int], message: dict[str, Any]) -> None:
    """Send an `event_message` to these users' own groups only (not the screens), after commit."""
    groups = [user_group(user_id) for user_id in user_ids]
    if groups:
        transaction.on_commit(lambda: send_now(groups, message))


def broadcast_on_commit(
    *,
    event: str,
    kind: str,
    obj_id: int,
    version: int,
    data: dict[str, Any],
    grid_id: int | None = None,
    user_ids: Iterable[int] = (),
    using: str = "default",
) -> None:
    """Send `event` about object `kind`/`obj_id` at `version` once the current transaction commits."""
    message = event_message(
        event=event, kind=kind, obj_id=obj_id, version=version, data=data, grid_id=grid_id
    )
    groups = event_groups(grid_id=grid_id, user_ids=user_ids)
    transaction.on_commit(lambda: send_now(groups, message), using=using)


def send_many_now(batch: list[tuple[list[str], dict[str, Any]]]) -> None:
    """send_now for many events: one channel-layer message per group, carrying all of the group's events
    (`events_message`), one Redis round trip for their sequence numbers. In an alarm storm a worker
    commits hundreds of alarm events at once: one message for the district and one per grid, where one
    per event and group cost a Redis round trip and an INCR each (devices)."""
    layer = get_channel_layer()
    if layer is None or not batch:
        return
    ats = {message.get("at") for _groups, message in batch} if stamps.enabled() else ()
    stamps.stamp("committed", *ats)  # runs on commit; benchmarks only
    by_group: dict[str, list[dict[str, Any]]] = {}
    for groups, message in batch:
        for group in groups:
            by_group.setdefault(group, []).append(message)
    groups = list(by_group)
    try:
        seqs = next_seqs(groups)
    except Exception:
        logger.exception("realtime sequence numbers unavailable")
        seqs = [0] * len(groups)
    messages = [
        (group, events_message(by_group[group], group=group, seq=seq))
        for group, seq in zip(groups, seqs, strict=True)
    ]
    if not settings.REDIS_URL:
        async_to_sync(_send_all)(layer, messages)
        return
    try:
        asyncio.run_coroutine_threadsafe(_send_all(layer, messages), _sender_loop()).result(SEND_TIMEOUT)
    except Exception:
        logger.exception("realtime send of %s events failed", len(batch))
    stamps.stamp("sent", *ats)


def events_message(events: list[dict[str, Any]], *, group: str, seq: int) -> dict[str, Any]:
    """One numbered channel-layer message for a group: a single event as it is, several as
    `realtime.events` (`events_of` unpacks either). They share the sequence number."""
    if len(events) == 1:
        return {**events[0], "group": group, "seq": seq}
    return {"type": "realtime.events", "group": group, "seq": seq, "events": events}


def events_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a channel-layer message, each with the message's group and sequence number."""
    if message.get("type") != "realtime.events":
        return [message]
    shared = {"group": message.get("group"), "seq": message.get("seq")}
    return [{**event, **shared} for event in message.get("events") or []]


def broadcast_many_on_commit(events: list[dict[str, Any]], *, using: str = "default") -> None:
    """broadcast_on_commit for many events at once; each dict holds broadcast_on_commit's keyword
    arguments (event, kind, obj_id, version, data, grid_id, user_ids)."""
    at = timezone.now().isoformat()
    batch = [
        (
            event_groups(grid_id=e.get("grid_id"), user_ids=e.get("user_ids", ())),
            event_message(
                event=e["event"],
                kind=e["kind"],
                obj_id=e["obj_id"],
                version=e["version"],
                data=e["data"],
                grid_id=e.get("grid_id"),
                at=at,
            ),
        )
        for e in events
    ]
    if batch:
        transaction.on_commit(lambda: send_many_now(batch), using=using)
