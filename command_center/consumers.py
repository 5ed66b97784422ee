"""The wall screen socket: one per screen, joined to the groups the viewer's scope allows."""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from command_center.models import User
from command_center.realtime import DISTRICT_GROUP, grid_group, user_group
from grids.api.views import GRID_SCOPE
from grids.models import Grid
from grids.scoping import scope_queryset, user_grid_ids


def screen_groups(user: User, grid_id: int | None) -> list[str] | None:
    """Groups for this viewer, or None when the requested grid is outside their scope."""
    groups = [user_group(user.pk)]
    if grid_id is not None:
        if not scope_queryset(Grid.objects.filter(pk=grid_id), user, GRID_SCOPE).exists():
            return None
        return [*groups, grid_group(grid_id)]
    if user.sees_whole_district or user.role == User.Role.OFFICIAL:
        return [*groups, DISTRICT_GROUP]
    if user.role == User.Role.GRID_WORKER:
        return [*groups, *(grid_group(pk) for pk in user_grid_ids(user))]
    return groups


class ScreenConsumer(AsyncJsonWebsocketConsumer):
    joined: list[str]

    async def connect(self) -> None:
        self.joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        grid_id = _grid_param(self.scope)
        groups = await database_sync_to_async(screen_groups)(user, grid_id)
        if groups is None:
            await self.close(code=4403)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
        self.joined = groups
        await self.accept()
        await self.send_json({"event": "hello", "groups": groups})

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def realtime_event(self, message: dict[str, Any]) -> None:
        await self.send_json({key: value for key, value in message.items() if key != "type"})


def _grid_param(scope: dict[str, Any]) -> int | None:
    query = scope.get("query_string", b"").decode()
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key == "grid" and value.isdigit():
            return int(value)
    return None
