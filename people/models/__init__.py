"""People and places: flats, households, rentals (places.py), shops (shops.py), people needing care
(care.py). Personal data (names, phones, ID numbers) is masked and logged by accounts/privacy.py."""

from .care import CareCategory, CarePerson, Contact, Visit
from .places import BuildingUnit, Flat, Household, Person, Rental
from .shops import Shop, ShopInspection, ShopStaff

__all__ = [
    "BuildingUnit",
    "CareCategory",
    "CarePerson",
    "Contact",
    "Flat",
    "Household",
    "Person",
    "Rental",
    "Shop",
    "ShopInspection",
    "ShopStaff",
    "Visit",
]
