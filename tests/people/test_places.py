"""Buildings, flats and rentals: leases ending within 30 days flagged, the map's counts, scoping; ID
numbers encrypted at rest and found by an exact search of their keyed hash."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from people import selectors, services
from people.models import Person
from tests.factories import BuildingFactory, UserFactory
from tests.people.factories import FlatFactory, HouseholdFactory, PersonFactory, RentalFactory, UnitFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = "310109198802147715"


def _worker_of(building) -> User:  # type: ignore[no-untyped-def]
    worker = UserFactory(role=User.Role.GRID_WORKER)
    building.compound.grid.workers.add(worker)
    return worker


def test_leases_ending_within_30_days_are_flagged() -> None:
    today = timezone.localdate()
    unit = UnitFactory()
    ending = RentalFactory(flat__unit=unit, lease_end=today + timedelta(days=12))
    RentalFactory(flat__unit=unit, lease_end=today + timedelta(days=31))  # beyond the horizon
    RentalFactory(
        flat__unit=unit, lease_start=today - timedelta(days=400), lease_end=today - timedelta(days=10)
    )
    worker = _worker_of(unit.building)
    assert list(selectors.leases_ending(worker)) == [ending]
    assert list(selectors.leases_ending(worker, today=today - timedelta(days=2))) == [ending]
    assert set(selectors.leases_ending(worker, within_days=31)) > {ending}


def test_a_building_shows_rented_flats_and_leases_ending() -> None:
    today = timezone.localdate()
    unit = UnitFactory()
    owned = FlatFactory(unit=unit, room_number="101")
    rented = RentalFactory(flat__unit=unit, flat__room_number="102").flat
    ending = RentalFactory(flat__unit=unit, flat__room_number="103", lease_end=today + timedelta(days=5)).flat
    worker = _worker_of(unit.building)
    marks = {mark.flat: mark for mark in selectors.building_flats(worker, unit.building_id)}
    assert [(marks[f].rented, marks[f].lease_ending) for f in (owned, rented, ending)] == [
        (False, False),
        (True, False),
        (True, True),
    ]
    assert marks[ending].tenant_count == 2
    counts = selectors.building_rental_counts(worker).get(pk=unit.building_id)
    assert (counts.flat_count, counts.rented_count, counts.lease_ending_count) == (3, 2, 1)


def test_a_grid_worker_sees_the_places_of_their_grids_only() -> None:
    mine, theirs = RentalFactory(), RentalFactory()
    worker = _worker_of(mine.flat.unit.building)
    assert list(selectors.rentals(worker)) == [mine]
    assert list(selectors.flats(worker)) == [mine.flat]
    assert list(selectors.buildings(worker)) == [mine.flat.unit.building]
    dispatcher = UserFactory(role=User.Role.DISPATCHER)
    assert set(selectors.rentals(dispatcher)) == {mine, theirs}
    handler = UserFactory(role=User.Role.HANDLER)
    assert list(selectors.rentals(handler)) == []


def test_id_numbers_are_unreadable_in_the_database_and_found_by_exact_search() -> None:
    household = HouseholdFactory()
    person = services.register_person(household=household, name="李秀英", id_number=ID_NUMBER.lower())
    stored = " ".join(str(value) for value in Person.objects.filter(pk=person.pk).values().get().values())
    assert ID_NUMBER not in stored
    assert "19880214" not in stored
    assert "310109" not in stored
    assert Person.objects.get(pk=person.pk).id_number == ID_NUMBER
    worker = _worker_of(household.flat.unit.building)
    assert list(selectors.people_by_id_number(worker, ID_NUMBER)) == [person]
    assert list(selectors.people_by_id_number(worker, f" {ID_NUMBER.lower()} ")) == [person]
    assert list(selectors.people_by_id_number(worker, ID_NUMBER[:-1] + "6")) == []
    assert list(selectors.people_by_id_number(worker, "")) == []
    other_worker = UserFactory(role=User.Role.GRID_WORKER)  # outside their grids: not found
    assert list(selectors.people_by_id_number(other_worker, ID_NUMBER)) == []


def test_a_person_prints_masked() -> None:
    assert str(PersonFactory(name="王建华")) == "王*华"


def test_flats_of_other_buildings_stay_off_a_buildings_page() -> None:
    building = BuildingFactory()
    FlatFactory(unit=UnitFactory(building=building))
    FlatFactory()
    worker = _worker_of(building)
    assert len(selectors.building_flats(worker, building.pk)) == 1
