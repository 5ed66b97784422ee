"""Shared factories: people, departments and geography. Apps keep theirs in tests/<app>/factories.py."""

import factory

from accounts.models import Department, User
from grids.geometry import rectangle
from grids.models import Building, Community, Compound, District, Grid, Street

PASSWORD = "test-pass-9173"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"部门{n}")
    kind = Department.Kind.PROPERTY


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    role = User.Role.GRID_WORKER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ["code"]

    code = "310109"
    name = "虹口区"


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ["code"]

    district = factory.SubFactory(DistrictFactory)
    code = "310109011"
    name = "广中路街道"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    code = factory.Sequence(lambda n: f"310109011{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"社区{n}")


def _cell(n: int, size: float = 0.004) -> dict:
    """The n-th square cell in a row east of 121.47 E, 31.26 N: grids that never overlap."""
    west = 121.47 + n * size
    return rectangle(west, 31.26, west + size, 31.26 + size)


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    code = factory.Sequence(lambda n: f"310109011001{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"第{n}网格")
    boundary = factory.Sequence(_cell)


class CompoundFactory(factory.django.DjangoModelFactory):
    """A compound filling the middle of its grid."""

    class Meta:
        model = Compound

    grid = factory.SubFactory(GridFactory)
    community = factory.SelfAttribute("grid.community")
    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"小区{n}")
    property_company = factory.SubFactory(DepartmentFactory)

    @factory.lazy_attribute
    def boundary(self) -> dict:
        ring = self.grid.boundary["coordinates"][0]
        west, south = ring[0]
        east, north = ring[2]
        dx, dy = (east - west) / 4, (north - south) / 4
        return rectangle(west + dx, south + dy, east - dx, north - dy)


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    compound = factory.SubFactory(CompoundFactory)
    name = factory.Sequence(lambda n: f"{n}号楼")
    lat = factory.SelfAttribute("compound.centre_lat")
    lng = factory.SelfAttribute("compound.centre_lng")
