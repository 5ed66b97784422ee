"""Whose screen it is: what a viewer's wall screen, snapshot and socket cover (grids/scoping.py decides
what a role may see; this narrows it to one grid or one department's cases)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case
from cases.selectors import CASE_SCOPE
from command_center.realtime import DISTRICT_GROUP, grid_group
from devices.models import Alarm
from devices.selectors import ALARM_SCOPE
from grids.models import Grid
from grids.scoping import ScopePaths, scope_queryset
from grids.selectors import GRID_SCOPE

M = TypeVar("M", bound=Model)

# Offline and low-battery alarms are the sensors' health: counted, not drawn as incidents.
HEALTH_ALARM_TYPES = (Alarm.OFFLINE, Alarm.LOW_BATTERY)


class BadScreenRequest(ValueError):
    """A malformed screen parameter (the API answers 400, the socket closes with 4400)."""


def grid_param(query_string: str) -> int | None:
    """The `grid` of a query string; None when absent; BadScreenRequest when it is not an id."""
    for pair in query_string.split("&"):
        key, _sep, value = pair.partition("=")
        if key == "grid":
            if value == "":
                return None
            if not value.isdigit() or len(value) > 18:
                raise BadScreenRequest(_("grid must be a grid id (a positive whole number)."))
            return int(value)
    return None


@dataclass(frozen=True)
class ScreenScope:
    user: User
    grid_id: int | None  # the per-grid screen /screen/?grid=<id>
    grid_ids: frozenset[int] | None  # the grids it shows; None: the whole district, unlocated rows too
    groups: list[str]  # the realtime group the socket follows (one: district or the grid's)
    department_id: int | None = None  # a department handler's socket: its department's cases only

    def shows_grid(self, grid_id: Any) -> bool:
        return self.grid_ids is None or grid_id in self.grid_ids

    def shows(self, event: Mapping[str, Any]) -> bool:
        """Whether a socket of this scope gets `event` (a realtime event, command_center.realtime)."""
        if self.department_id is not None:
            data = event.get("data") or {}
            return event.get("kind") == "case" and data.get("department") == self.department_id
        return self.shows_grid(event.get("grid"))

    def scoped(self, queryset: QuerySet[M], paths: ScopePaths) -> QuerySet[M]:
        queryset = scope_queryset(queryset, self.user, paths)
        if self.grid_id is not None and paths.grid is not None:
            queryset = queryset.filter(**{f"{paths.grid}__pk" if paths.grid else "pk": self.grid_id})
        elif self.grid_ids is not None and paths.grid is not None:
            # Grid workers: their grids only, not also what is assigned to them elsewhere.
            queryset = queryset.filter(**{f"{paths.grid}__pk__in" if paths.grid else "pk__in": self.grid_ids})
        return queryset


def screen_scope(user: User, grid_id: int | None) -> ScreenScope:
    """What `user`'s screen covers, or PermissionDenied saying why they have none."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to see the wall screen."))
    if user.role == User.Role.HANDLER and not user.is_superuser:
        raise PermissionDenied(
            _("The wall screen is for dispatchers, street officials, administrators and grid workers.")
        )
    grids = scope_queryset(Grid.objects.all(), user, GRID_SCOPE)
    if grid_id is not None:
        if not grids.filter(pk=grid_id).exists():
            raise PermissionDenied(_("This grid does not exist or lies outside your area."))
        return ScreenScope(
            user=user, grid_id=grid_id, grid_ids=frozenset({grid_id}), groups=[grid_group(grid_id)]
        )
    if user.sees_whole_district:
        return ScreenScope(user=user, grid_id=None, grid_ids=None, groups=[DISTRICT_GROUP])
    grid_ids = frozenset(grids.values_list("pk", flat=True))
    # Officials and grid workers: the district's events, filtered to their grids per event (a street
    # may have hundreds of grids; one stream per screen keeps it at most 10 frames a second).
    return ScreenScope(user=user, grid_id=None, grid_ids=grid_ids, groups=[DISTRICT_GROUP])


def socket_scope(user: User, grid_id: int | None) -> ScreenScope:
    """What `user`'s socket covers: a screen's scope, or for a department handler (who has no wall screen
    but a console) the district's events about their department's cases. What is assigned to the viewer
    comes through their own group `user.<id>` (screen/consumers.py)."""
    if user.is_authenticated and user.role == User.Role.HANDLER and not user.is_superuser and grid_id is None:
        if user.department_id is None:
            return ScreenScope(user=user, grid_id=None, grid_ids=frozenset(), groups=[])
        return ScreenScope(
            user=user,
            grid_id=None,
            grid_ids=frozenset(),
            groups=[DISTRICT_GROUP],
            department_id=user.department_id,
        )
    return screen_scope(user, grid_id)


def day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def alarm_queryset(screen: ScreenScope) -> QuerySet[Alarm]:
    """Incident alarms in scope. Device health (offline, low battery) shows as sensor state instead:
    a broker outage would otherwise bury the map under thousands of "offline" alarms."""
    alarms = Alarm.objects.exclude(type__in=HEALTH_ALARM_TYPES)
    return screen.scoped(alarms, ALARM_SCOPE)


def case_queryset(screen: ScreenScope) -> QuerySet[Case]:
    return screen.scoped(Case.objects.all(), CASE_SCOPE)
