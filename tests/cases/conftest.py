"""Fixtures of the cases tests: a street with a community, grid, compound and the people around them."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from accounts.models import Department, User
from cases.defaults import ensure_default_catalogue
from cases.selectors import clear_calendar_cache
from grids.models import Compound, DutyShift
from tests.factories import CompoundFactory, DepartmentFactory, UserFactory

# The smallest valid JPEG header is enough: photos are checked by their first bytes.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@dataclass
class Place:
    compound: Compound
    property_company: Department
    property_handler: User
    grid_worker: User
    other_grid_worker: User
    secretary: User
    leader: User
    dispatcher: User
    duty_chief: User
    official: User
    admin: User
    water: Department
    water_handler: User
    fire: Department
    urban: Department
    street_office: Department

    @property
    def grid(self):  # type: ignore[no-untyped-def]
        return self.compound.grid

    @property
    def community(self):  # type: ignore[no-untyped-def]
        return self.compound.community


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    """Tests match the English source messages; Chinese (the default) is checked on its own."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Photos written by tests go to a temporary directory, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_calendar():  # type: ignore[no-untyped-def]
    clear_calendar_cache()
    yield
    clear_calendar_cache()


@pytest.fixture
def catalogue(db):  # type: ignore[no-untyped-def]
    ensure_default_catalogue()


def make_place() -> Place:
    property_company = DepartmentFactory(code="prop-a", name="甲物业", kind=Department.Kind.PROPERTY)
    compound = CompoundFactory(property_company=property_company)
    water = DepartmentFactory(code="water", name="水务所", kind=Department.Kind.WATER)
    fire = DepartmentFactory(code="fire", name="消防救援站", kind=Department.Kind.FIRE)
    urban = DepartmentFactory(code="urban", name="城管中队", kind=Department.Kind.URBAN_MANAGEMENT)
    street_office = DepartmentFactory(code="street", name="街道办", kind=Department.Kind.STREET)
    grid_worker = UserFactory(username="gw", role=User.Role.GRID_WORKER, phone="13800000001")
    other_grid_worker = UserFactory(username="gw2", role=User.Role.GRID_WORKER, phone="13800000002")
    compound.grid.workers.add(grid_worker, other_grid_worker)
    secretary = UserFactory(username="secretary", role=User.Role.OFFICIAL, phone="13800000003")
    leader = UserFactory(username="leader", role=User.Role.OFFICIAL, phone="13800000004")
    community = compound.community
    community.secretary = secretary
    community.save(update_fields=["secretary"])
    street = community.street
    street.leader = leader
    street.save(update_fields=["leader"])
    street.officials.add(leader)
    duty_chief = UserFactory(username="chief", role=User.Role.DISPATCHER, phone="13800000005")
    now = timezone.now()
    day = timedelta(days=1)
    DutyShift.objects.create(
        user=grid_worker,
        duty=DutyShift.Duty.GRID_WORKER,
        grid=compound.grid,
        starts_at=now - day,
        ends_at=now + day,
    )
    DutyShift.objects.create(
        user=duty_chief, duty=DutyShift.Duty.DUTY_CHIEF, starts_at=now - day, ends_at=now + day
    )
    return Place(
        compound=compound,
        property_company=property_company,
        property_handler=UserFactory(
            username="prop", role=User.Role.HANDLER, department=property_company, phone="13800000006"
        ),
        grid_worker=grid_worker,
        other_grid_worker=other_grid_worker,
        secretary=secretary,
        leader=leader,
        dispatcher=UserFactory(username="disp", role=User.Role.DISPATCHER),
        duty_chief=duty_chief,
        official=UserFactory(username="official", role=User.Role.OFFICIAL),
        admin=UserFactory(username="admin", role=User.Role.ADMIN),
        water=water,
        water_handler=UserFactory(
            username="waterman", role=User.Role.HANDLER, department=water, phone="13800000007"
        ),
        fire=fire,
        urban=urban,
        street_office=street_office,
    )


@pytest.fixture
def place(db) -> Place:  # type: ignore[no-untyped-def]
    return make_place()


@pytest.fixture
def jpeg() -> bytes:
    return JPEG
