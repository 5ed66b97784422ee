"""The one place that sends to WebSocket groups.

Groups: `district` (the whole deployment), `grid.<id>`, `user.<id>`. Sends happen after the surrounding
transaction commits, so a screen never shows a row a rollback removed. Every event carries the object
id and its version: the channel layer may drop messages, and a client that sees a gap reloads the
snapshot (`/api/v1/screen/snapshot`).
"""

import logging
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

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


def send_now(groups: Iterable[str], message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    send = async_to_sync(layer.group_send)
    for group in groups:
        try:
            send(group, message)
        except Exception:
            # A lost frame is recovered by the client's resync; a failed send must not fail the caller.
            logger.exception("realtime send to %s failed", group)


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
    message = {
        "type": "realtime.event",
        "event": event,
        "kind": kind,
        "id": obj_id,
        "version": version,
        "grid": grid_id,
        "at": timezone.now().isoformat(),
        "data": data,
    }
    groups = event_groups(grid_id=grid_id, user_ids=user_ids)
    transaction.on_commit(lambda: send_now(groups, message), using=using)
