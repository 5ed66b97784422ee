"""Reads of the geography: locators for point-in-polygon assignment, who is on duty."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from command_center.models import User

from .geometry import Locator
from .models import Compound, DutyShift, Grid


@dataclass(frozen=True)
class Placement:
    grid_id: int | None
    compound_id: int | None


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


def place_point(lat: float, lng: float) -> Placement:
    return PlaceFinder().place(lat, lng)


def on_duty(*, duty: str, grid_id: int | None = None, at: datetime | None = None) -> QuerySet[User]:
    """Users on `duty` at `at` (now by default), for a grid when one is given."""
    at = at or timezone.now()
    shifts = DutyShift.objects.filter(duty=duty, starts_at__lte=at, ends_at__gt=at)
    if grid_id is not None:
        shifts = shifts.filter(grid_id=grid_id)
    return User.objects.filter(is_active=True, duty_shifts__in=shifts).distinct()
