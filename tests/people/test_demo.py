"""The demo's people and places: households, rentals (some ending), shops, care persons; once only."""

import pytest
from django.utils import timezone

from accounts.models import User
from people import selectors
from people.demo import seed_demo_people
from people.models import CarePerson, Flat, Person, Rental, Shop
from tests.factories import BuildingFactory, CompoundFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_people_and_places_once(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    compound = CompoundFactory()
    worker = UserFactory(role=User.Role.GRID_WORKER)
    compound.grid.workers.add(worker)
    for _ in range(3):
        BuildingFactory(compound=compound)
    created = seed_demo_people(today=timezone.localdate())
    assert created[Flat] == Flat.objects.count() == 60
    assert Rental.objects.exists()
    assert Shop.objects.count() == 4
    assert Person.objects.exclude(id_number_hash="").exists()
    assert selectors.leases_ending(worker).exists()
    assert CarePerson.objects.filter(worker=worker).exists()
    assert seed_demo_people(today=timezone.localdate()) == {}
