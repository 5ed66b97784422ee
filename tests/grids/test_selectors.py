"""Placement of points into grids and compounds, and who is on duty."""

from datetime import timedelta

import pytest
from django.utils import timezone

from grids.models import DutyShift
from grids.selectors import PlaceFinder, on_duty, place_point
from tests.factories import CompoundFactory, GridFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_points_are_placed_in_their_grid_and_compound():
    inside = CompoundFactory()
    other_grid = GridFactory()
    grid = inside.grid

    in_compound = place_point(inside.centre_lat, inside.centre_lng)
    ring = grid.boundary["coordinates"][0]
    grid_corner = place_point(ring[0][1] + 0.0001, ring[0][0] + 0.0001)  # in the grid, outside the compound
    elsewhere = PlaceFinder().place_many([(other_grid.centre_lat, other_grid.centre_lng), (40.0, 116.4)])

    assert (in_compound.grid_id, in_compound.compound_id) == (grid.id, inside.id)
    assert (grid_corner.grid_id, grid_corner.compound_id) == (grid.id, None)
    assert [(p.grid_id, p.compound_id) for p in elsewhere] == [(other_grid.id, None), (None, None)]


def test_the_territory_is_the_grids_with_a_margin():
    assert PlaceFinder().within_territory(0.0, 0.0)  # no geography loaded yet: anywhere
    grid = GridFactory()
    ring = grid.boundary["coordinates"][0]
    west, south = ring[0]
    metre = 1 / 111_320  # of latitude
    finder = PlaceFinder()
    assert finder.within_territory(grid.centre_lat, grid.centre_lng)
    assert finder.within_territory(south - 150 * metre, west)  # a phone's GPS error off the edge
    assert not finder.within_territory(south - 400 * metre, west)
    assert not finder.within_territory(0.0, 0.0)
    assert not finder.within_territory(39.9087, 116.3975)  # Beijing


def test_on_duty_follows_the_roster():
    grid = GridFactory()
    now = timezone.now()
    day, night, chief = UserFactory(), UserFactory(), UserFactory()
    DutyShift.objects.create(user=day, duty="grid_worker", grid=grid, starts_at=now - timedelta(hours=2),
                             ends_at=now + timedelta(hours=6))  # fmt: skip
    DutyShift.objects.create(user=night, duty="grid_worker", grid=grid, starts_at=now + timedelta(hours=6),
                             ends_at=now + timedelta(hours=18))  # fmt: skip
    DutyShift.objects.create(user=chief, duty="duty_chief", starts_at=now - timedelta(hours=1),
                             ends_at=now + timedelta(hours=1))  # fmt: skip

    assert list(on_duty(duty="grid_worker", grid_id=grid.id)) == [day]
    assert list(on_duty(duty="grid_worker", grid_id=grid.id, at=now + timedelta(hours=7))) == [night]
    assert list(on_duty(duty="duty_chief")) == [chief]
    assert list(on_duty(duty="grid_worker", grid_id=GridFactory().id)) == []
