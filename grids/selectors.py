"""Reads of the geography: locators for point-in-polygon assignment, who is on duty."""

import math
from dataclasses import dataclass
from datetime import datetime

import shapely
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import User

from .geometry import Locator
from .models import Compound, DutyShift, Grid
from .scoping import ScopePaths

# How each model of the geography reaches a grid, for grids/scoping.py.
GRID_SCOPE = ScopePaths(grid="")
COMPOUND_SCOPE = ScopePaths(grid="grid", department="property_company")
PATROL_SCOPE = ScopePaths(grid="grid", assignee="user")


@dataclass(frozen=True)
class Placement:
    grid_id: int | None
    compound_id: int | None


# A point this close to a grid or compound still lies in the deployment's area (a phone's GPS error at
# the edge of the street); farther out it is refused (lat 0 lng 0, a point in another city).
TERRITORY_MARGIN_M = 200


class PlaceFinder:
    """Grid and compound for points; built once, then cheap per point (bulk imports reuse one)."""

    def __init__(self) -> None:
        self.grids = Locator.build(Grid.objects.values_list("id", "boundary"))
        self.compounds = Locator.build(Compound.objects.values_list("id", "boundary"))

    def place(self, lat: float, lng: float) -> Placement:
        return self.place_many([(lat, lng)])[0]

    def place_many(self, points: list[tuple[float, float]]) -> list[Placement]:
        grids = self.grids.locate_many(points)
        compounds = self.compounds.locate_many(points)
        return [Placement(g, c) for g, c in zip(grids, compounds, strict=True)]

    def within_territory(self, lat: float, lng: float) -> bool:
        """Whether the point lies within TERRITORY_MARGIN_M of a grid or compound of the deployment; with
        no geography loaded yet (a fresh install), every point does."""
        if not self.grids.ids and not self.compounds.ids:
            return True
        # The margin in degrees of longitude, the larger of the two away from the equator.
        degrees = TERRITORY_MARGIN_M / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
        point = shapely.Point(lng, lat)
        return any(
            len(locator.tree.query(point, predicate="dwithin", distance=degrees)) > 0
            for locator in (self.grids, self.compounds)
        )


def place_point(lat: float, lng: float) -> Placement:
    return PlaceFinder().place(lat, lng)


def on_duty(*, duty: str, grid_id: int | None = None, at: datetime | None = None) -> QuerySet[User]:
    """Users on `duty` at `at` (now by default), for a grid when one is given."""
    at = at or timezone.now()
    shifts = DutyShift.objects.filter(duty=duty, starts_at__lte=at, ends_at__gt=at)
    if grid_id is not None:
        shifts = shifts.filter(grid_id=grid_id)
    return User.objects.filter(is_active=True, duty_shifts__in=shifts).distinct()


def duty_now(*, grid_ids: frozenset[int] | None, at: datetime | None = None) -> list[dict[str, object]]:
    """Who is on duty at `at` (now by default): duty, name, phone and grid, street-wide shifts first.
    `grid_ids` None: every shift; else the street-wide ones and those of these grids."""
    at = at or timezone.now()
    shifts = DutyShift.objects.filter(starts_at__lte=at, ends_at__gt=at, user__is_active=True)
    if grid_ids is not None:
        shifts = shifts.filter(Q(grid__isnull=True) | Q(grid__in=grid_ids))
    rows = shifts.select_related("user", "grid").order_by(F("grid__name").asc(nulls_first=True), "duty")
    return [
        {
            "duty": shift.get_duty_display(),
            "name": str(shift.user),
            "phone": shift.user.phone,
            "grid": shift.grid.name if shift.grid else "",
            "until": shift.ends_at.isoformat(),
        }
        for shift in rows
    ]
