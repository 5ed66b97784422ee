"""Fixtures of the phones' tests: the cases tests' street, with a gate guard of its compound."""

import pytest

from accounts.models import User
from tests.cases.conftest import (  # noqa: F401  (fixtures used by name)
    Place,
    _english,
    _fresh_calendar,
    _media_in_tmp,
    catalogue,
    jpeg,
    place,
)
from tests.factories import UserFactory


@pytest.fixture
def guard(place: Place) -> User:  # noqa: F811  (the fixture imported above)
    user = UserFactory(username="guard", role=User.Role.GATE_GUARD, phone="13800000099")
    place.compound.guards.add(user)
    return user  # type: ignore[no-any-return]
