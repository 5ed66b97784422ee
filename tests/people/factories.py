"""Factories of people and places, in the grids of tests/factories.py."""

from datetime import timedelta

import factory
from django.utils import timezone

from people.models import (
    BuildingUnit,
    CareCategory,
    CarePerson,
    Contact,
    Flat,
    Household,
    Person,
    Rental,
    Shop,
    ShopStaff,
)
from people.services import ensure_care_categories
from tests.factories import BuildingFactory, GridFactory


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BuildingUnit

    building = factory.SubFactory(BuildingFactory)
    name = factory.Sequence(lambda n: f"{n % 9 + 1}单元")


class FlatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flat

    unit = factory.SubFactory(UnitFactory)
    room_number = factory.Sequence(lambda n: f"{n % 30 + 1}0{n % 4 + 1}")
    floor = 3
    area_m2 = 68
    use = Flat.Use.OWNER_OCCUPIED


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    flat = factory.SubFactory(FlatFactory)
    number = factory.Sequence(lambda n: f"H{n:05d}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    household = factory.SubFactory(HouseholdFactory)
    name = "王建华"
    phone = "13812345678"
    relation = "户主"


class RentalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rental

    flat = factory.SubFactory(FlatFactory, use=Flat.Use.RENTED)
    tenant_name = "赵小明"
    tenant_phone = "13912345678"
    tenant_count = 2
    lease_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=200))
    lease_end = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=165))


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    grid = factory.SubFactory(GridFactory)
    name = factory.Sequence(lambda n: f"便民超市{n}")
    business = "便利店"
    address = factory.Sequence(lambda n: f"广中路{n}号")
    contact_name = "陈志强"
    contact_phone = "13700001111"
    licence_number = factory.Sequence(lambda n: f"91310109MA1{n:07d}")
    licence_expiry = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=400))


class ShopStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShopStaff

    shop = factory.SubFactory(ShopFactory)
    name = "刘芳"
    phone = "13600002222"
    health_certificate_number = factory.Sequence(lambda n: f"JK{n:06d}")
    health_certificate_expiry = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=200))


def category(code: str) -> CareCategory:
    """One of the categories the migration adds (独居老人: elderly-living-alone, weekly)."""
    ensure_care_categories()
    return CareCategory.objects.get(code=code)


class CarePersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarePerson
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory, name="孙桂兰", phone="13512345678")
    needs = "行动不便，耳背，敲门要大声"
    medicines = "硝苯地平 每日两次"

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            obj.categories.set([category(code) for code in (extracted or ["elderly-living-alone"])])


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    care_person = factory.SubFactory(CarePersonFactory)
    kind = Contact.Kind.GUARDIAN
    name = "孙立新"
    relation = "儿子"
    phone = "13987654321"
