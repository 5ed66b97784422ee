"""People needing care: categories as data with their visit plans, visits with a place check, overdue
visits, and the care card."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from people import selectors, services
from people.constants import CARE_CATEGORIES
from people.models import CareCategory, CarePerson
from tests.factories import UserFactory
from tests.people.factories import CarePersonFactory, ContactFactory

pytestmark = pytest.mark.django_db


def _worker_of(care_person: CarePerson) -> User:
    worker = UserFactory(role=User.Role.GRID_WORKER)
    care_person.person.household.flat.unit.building.compound.grid.workers.add(worker)  # type: ignore[union-attr]
    return worker


def _added(care_person: CarePerson, days_ago: float) -> CarePerson:
    CarePerson.objects.filter(pk=care_person.pk).update(since=timezone.now() - timedelta(days=days_ago))
    care_person.refresh_from_db()
    return care_person


def test_the_ten_categories_are_data_with_their_intervals() -> None:
    names = list(CareCategory.objects.values_list("name", flat=True))
    assert names == [name for _code, name, _days in CARE_CATEGORIES]
    assert "独居老人" in names
    assert "刑满释放人员" in names
    assert CareCategory.objects.get(name="独居老人").visit_interval_days == 7


def test_the_shortest_interval_of_a_persons_categories_is_their_plan() -> None:
    care_person = CarePersonFactory(categories=["veterans", "elderly-living-alone"])
    assert selectors.visit_interval_days(care_person) == 7
    assert selectors.visit_interval_days(CarePersonFactory(categories=["veterans"])) == 90


def test_visits_are_overdue_one_interval_after_the_last_one() -> None:
    now = timezone.now()
    weekly = _added(CarePersonFactory(), days_ago=30)
    worker = _worker_of(weekly)
    assert [item.care_person for item in selectors.overdue_visits(worker)] == [weekly]  # never visited
    overdue = selectors.overdue_visits(worker)[0]
    assert (overdue.last_visit_at, overdue.days_overdue) == (None, 23)
    services.record_visit(care_person=weekly, visitor=worker, visited_at=now - timedelta(days=6))
    assert selectors.overdue_visits(worker) == []
    later = selectors.overdue_visits(worker, now=now + timedelta(days=2))
    assert [(item.care_person, item.days_overdue) for item in later] == [(weekly, 1)]


def test_a_person_added_today_is_not_overdue_and_one_without_categories_never() -> None:
    CarePersonFactory()
    unplanned = _added(CarePersonFactory(), days_ago=400)
    unplanned.categories.clear()
    assert selectors.overdue_visits(UserFactory(role=User.Role.DISPATCHER)) == []


def test_overdue_visits_are_scoped_to_the_worker_and_their_assigned_people() -> None:
    mine = _added(CarePersonFactory(), days_ago=10)
    other = _added(CarePersonFactory(), days_ago=10)
    worker = _worker_of(mine)
    assert [item.care_person for item in selectors.overdue_visits(worker)] == [mine]
    CarePerson.objects.filter(pk=other.pk).update(worker=worker)  # assigned to them outside their grids
    assert {item.care_person.pk for item in selectors.overdue_visits(worker)} == {mine.pk, other.pk}
    assert selectors.overdue_visits(UserFactory(role=User.Role.HANDLER)) == []


def test_a_visit_at_the_building_passes_the_place_check_and_one_far_away_not() -> None:
    care_person = CarePersonFactory()
    worker = _worker_of(care_person)
    building = care_person.person.household.flat.unit.building  # type: ignore[union-attr]
    here = services.Position(lat=building.lat + 0.0003, lng=building.lng, accuracy=20)  # about 33 m
    visit = services.record_visit(care_person=care_person, visitor=worker, position=here, note=" 精神不错 ")
    assert visit.place_checked
    assert 25 < visit.distance_m < 40  # type: ignore[operator]
    assert visit.note == "精神不错"
    far = services.Position(lat=building.lat + 0.01, lng=building.lng, accuracy=20)
    assert not services.record_visit(care_person=care_person, visitor=worker, position=far).place_checked
    blurred = services.Position(lat=building.lat, lng=building.lng, accuracy=500)
    assert not services.record_visit(care_person=care_person, visitor=worker, position=blurred).place_checked
    assert not services.record_visit(care_person=care_person, visitor=worker).place_checked


def test_the_care_card_has_needs_guardians_and_medicines_masked_unless_asked() -> None:
    contact = ContactFactory()
    care_person = contact.care_person
    card = selectors.care_card_for(care_person.pk)
    assert card is not None
    assert (card.name, card.phone) == ("孙*兰", "135****5678")
    assert card.needs.startswith("行动不便")
    assert card.medicines == "硝苯地平 每日两次"
    assert card.categories == ["独居老人"]
    assert card.contacts == [
        {"kind": "Guardian", "name": "孙*新", "relation": "儿子", "phone": "139****4321"}
    ]
    building = care_person.person.household.flat.unit.building  # type: ignore[union-attr]
    assert (card.building_id, card.compound_id) == (building.pk, building.compound_id)
    unmasked = selectors.care_card_for(care_person.pk, unmasked=True)
    assert unmasked is not None
    assert (unmasked.name, unmasked.contacts[0]["phone"]) == ("孙桂兰", "13987654321")
    assert selectors.care_card_for(999_999) is None
