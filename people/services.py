"""Writes of people and places. Callers pass plain values; every write is one transaction."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import Household, Person, Shop, ShopInspection


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
