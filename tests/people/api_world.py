"""Rows of the people app in the API world's place (tests/command_center/api_world.py): a building of the
grid worker's compound with a rented flat, a shop, a person needing care with a visit, an access-log row."""

from dataclasses import dataclass

from accounts import privacy
from accounts.models import PersonalDataAccess
from people.models import CarePerson, Flat, Rental, Shop, Visit
from people.services import record_visit
from tests.command_center.api_world import World
from tests.factories import BuildingFactory
from tests.people.factories import (
    CarePersonFactory,
    ContactFactory,
    RentalFactory,
    ShopFactory,
    ShopStaffFactory,
)


@dataclass
class PeopleRows:
    flat: Flat
    rental: Rental
    shop: Shop
    care_person: CarePerson
    visit: Visit
    access: PersonalDataAccess

    @property
    def building_id(self) -> int:
        return self.flat.unit.building_id


def people_rows(world: World) -> PeopleRows:
    compound = world.place.compound
    building = BuildingFactory(compound=compound)
    rental = RentalFactory(flat__unit__building=building)
    shop = ShopFactory(grid=compound.grid, compound=compound)
    ShopStaffFactory(shop=shop)
    care_person = CarePersonFactory(person__household__flat=rental.flat, worker=world.place.grid_worker)
    ContactFactory(care_person=care_person)
    visit = record_visit(care_person=care_person, visitor=world.place.grid_worker, note="按时服药")
    access = privacy.log_unmasked_read(world.place.admin, care_person, privacy.PHONE, "核实联系方式")
    return PeopleRows(rental.flat, rental, shop, care_person, visit, access)
