"""Writes of people and places. Callers pass plain values; every write is one transaction."""

from django.db import transaction

from .models import Household, Person


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
