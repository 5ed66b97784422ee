"""rotate_personal_data: after a new key is put first, every stored ID number is re-encrypted with it, so
the old key can be removed; --rehash follows a new search-hash key."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from people import selectors, services
from people.models import Person
from tests.factories import UserFactory
from tests.people.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def test_rotation_re_encrypts_with_the_new_key_and_rehash_follows_a_new_hash_key(settings) -> None:  # type: ignore[no-untyped-def]
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PERSONAL_DATA_KEY = old
    settings.PERSONAL_DATA_HASH_KEY = "first hash key"
    person = services.register_person(
        household=HouseholdFactory(), name="周强", id_number="310109197001011111"
    )
    services.register_person(household=HouseholdFactory(), name="吴敏")  # no ID number: left alone
    settings.PERSONAL_DATA_KEY = f"{new},{old}"
    call_command("rotate_personal_data", stdout=StringIO())
    settings.PERSONAL_DATA_KEY = new
    assert Person.objects.get(pk=person.pk).id_number == "310109197001011111"
    settings.PERSONAL_DATA_HASH_KEY = "second hash key"
    admin = UserFactory(role="admin")
    assert list(selectors.people_by_id_number(admin, "310109197001011111")) == []
    call_command("rotate_personal_data", "--rehash", stdout=StringIO())
    assert list(selectors.people_by_id_number(admin, "310109197001011111")) == [person]
