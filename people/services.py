"""Writes of people and places. Callers pass plain values; every write is one transaction."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.selectors import distance_m

from .constants import CARE_CATEGORIES, PLACE_CHECK_ACCURACY_M, PLACE_CHECK_RADIUS_M
from .models import CareCategory, CarePerson, Household, Person, Shop, ShopInspection, Visit


@transaction.atomic
def register_person(
    *, household: Household | None, name: str, phone: str = "", id_number: str = "", relation: str = "",
    birth_year: int | None = None,
) -> Person:  # fmt: skip
    person = Person(household=household, name=name.strip(), phone=phone.strip(), relation=relation,
                    birth_year=birth_year)  # fmt: skip
    if id_number:
        person.set_id_number(id_number)
    person.full_clean()
    person.save()
    return person


def change_id_number(*, person: Person, id_number: str) -> Person:
    person.set_id_number(id_number)
    person.save(update_fields=["id_number_encrypted", "id_number_hash"])
    return person


def record_inspection(
    *, shop: Shop, inspector: User, result: str, note: str = "", inspected_at: datetime | None = None
) -> ShopInspection:
    inspection = ShopInspection(
        shop=shop,
        inspector=inspector,
        result=result,
        note=note.strip(),
        inspected_at=inspected_at or timezone.now(),
    )
    inspection.full_clean()
    inspection.save()
    return inspection


@dataclass(frozen=True)
class Position:
    lat: float
    lng: float
    accuracy: float | None = None


def _place_check(care_person: CarePerson, position: Position | None) -> tuple[float | None, bool]:
    """How far the phone was from the person's building, and whether that counts as being there."""
    flat = care_person.person.household.flat if care_person.person.household else None
    if position is None or flat is None:
        return None, False
    building = flat.unit.building
    distance = distance_m(position.lat, position.lng, building.lat, building.lng)
    accurate = position.accuracy is None or position.accuracy <= PLACE_CHECK_ACCURACY_M
    return round(distance, 1), accurate and distance <= PLACE_CHECK_RADIUS_M


@transaction.atomic
def record_visit(
    *, care_person: CarePerson, visitor: User, visited_at: datetime | None = None,
    position: Position | None = None, note: str = "", photo: object = None,
) -> Visit:  # fmt: skip
    distance, checked = _place_check(care_person, position)
    visit = Visit(
        care_person=care_person, visitor=visitor, visited_at=visited_at or timezone.now(),
        lat=position.lat if position else None, lng=position.lng if position else None,
        accuracy=position.accuracy if position else None, distance_m=distance, place_checked=checked,
        note=note.strip(),
    )  # fmt: skip
    if photo is not None:
        visit.photo = photo  # an uploaded file, stored by the field
    visit.full_clean()
    visit.save()
    return visit


def ensure_care_categories() -> None:
    """The default categories that are missing (the migration adds them; a flushed test database not)."""
    for order, (code, name, days) in enumerate(CARE_CATEGORIES):
        CareCategory.objects.get_or_create(
            code=code, defaults={"name": name, "visit_interval_days": days, "sort_order": order}
        )
