"""The rows of each ledger (people/ledgers.py): the file's columns, how one row is imported, how the
caller's rows are exported. A row that cannot be imported raises RowError with a message for the user."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from accounts import privacy
from accounts.models import User
from grids.models import Building, Grid
from grids.scoping import ScopePaths, scope_queryset

from . import selectors, services
from .models import BuildingUnit, CareCategory, CarePerson, Contact, Flat, Household, Person, Rental, Shop

PLACE_HEADERS = ["小区编码", "楼栋", "单元", "室号"]
HOUSEHOLD_HEADERS = [*PLACE_HEADERS, "户号", "户籍", "姓名", "与户主关系", "联系电话", "身份证号"]
HOUSEHOLD_REQUIRED = [*PLACE_HEADERS, "姓名"]
RENTAL_HEADERS = [*PLACE_HEADERS, "承租人", "承租人电话", "租住人数", "租期开始", "租期结束"]
RENTAL_REQUIRED = [*PLACE_HEADERS, "承租人", "租期开始", "租期结束"]
SHOP_HEADERS = ["网格编码", "名称", "行业", "地址", "联系人", "联系电话", "营业执照号", "执照有效期"]
SHOP_REQUIRED = ["网格编码", "名称", "地址"]
CARE_HEADERS = [
    *PLACE_HEADERS,
    "姓名",
    "联系电话",
    "身份证号",
    "类别",
    "需求",
    "用药",
    "监护人",
    "监护人电话",
]
CARE_REQUIRED = [*PLACE_HEADERS, "姓名", "类别"]

ID_NUMBER = re.compile(r"^(\d{15}|\d{17}[\dX])$")
NOT_REGISTERED = {"否", "流动", "非户籍", "no", "0"}


class RowError(ValueError):
    pass


def _id_number(row: dict[str, str], column: str = "身份证号") -> str:
    value = row.get(column, "").strip().upper()
    if value and not ID_NUMBER.match(value):
        raise RowError(_("%(column)s is not a valid ID number (15 or 18 characters).") % {"column": column})
    return value


def _date(row: dict[str, str], column: str, *, required: bool = True) -> date | None:
    value = row.get(column, "").strip()
    if not value:
        if required:
            raise RowError(_("%(column)s is empty.") % {"column": column})
        return None
    parts = re.split(r"[-/.]", value) if not value.isdigit() else [value[:4], value[4:6], value[6:]]
    try:
        year, month, day = (int(part) for part in parts)
        return date(year, month, day)
    except ValueError:
        pass
    raise RowError(_("%(column)s is not a date (2026-01-31).") % {"column": column})


def _number(row: dict[str, str], column: str, default: int) -> int:
    value = row.get(column, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) < 1000:
        raise RowError(_("%(column)s is not a number from 1 to 999.") % {"column": column})
    return int(value)


@dataclass
class ImportContext:
    """Who imports, and the places already found in this file: rows of one building ask once."""

    user: User
    buildings: dict[tuple[str, str], Building | None] = field(default_factory=dict)
    flats: dict[tuple[int, str, str], Flat] = field(default_factory=dict)

    def forget(self) -> None:
        """After a failed row: what it created was rolled back with its savepoint."""
        self.buildings.clear()
        self.flats.clear()


def _building(row: dict[str, str], context: ImportContext) -> Building:
    key = (row["小区编码"], row["楼栋"])
    if key not in context.buildings:
        found = selectors.buildings(context.user).filter(compound__code=key[0], name=key[1])
        context.buildings[key] = found.first()
    building = context.buildings[key]
    if building is None:
        raise RowError(
            _("Building %(building)s of compound %(compound)s does not exist or is outside your area.")
            % {"building": row["楼栋"], "compound": row["小区编码"]}
        )
    return building


def _flat(row: dict[str, str], context: ImportContext) -> Flat:
    building = _building(row, context)
    if not row["单元"] or not row["室号"]:
        raise RowError(_("单元 and 室号 are required."))
    key = (building.pk, row["单元"][:30], row["室号"][:20])
    if key not in context.flats:
        unit, _created = BuildingUnit.objects.get_or_create(building=building, name=key[1])
        context.flats[key], _created = Flat.objects.get_or_create(unit=unit, room_number=key[2])
    return context.flats[key]


def _household(flat: Flat, number: str, registered: str = "") -> Household:
    households = flat.households.all()
    household = households.filter(number=number).first() if number else households.first()
    if household is None:
        household = Household.objects.create(flat=flat, number=number[:30])
    if registered and household.registered != (registered not in NOT_REGISTERED):
        household.registered = not household.registered
        household.save(update_fields=["registered"])
    return household


def _person(household: Household, row: dict[str, str], *, relation: str = "") -> tuple[Person, str]:
    id_number = _id_number(row)
    name, phone = row["姓名"][:50], row.get("联系电话", "")[:30]
    if not name:
        raise RowError(_("姓名 is empty."))
    same = (
        household.members.filter(name=name)
        if not id_number
        else household.members.filter(id_number_hash=privacy.lookup_hash(id_number))
    )
    person = same.first()
    if person is None:
        person = services.register_person(household=household, name=name, phone=phone, id_number=id_number,
                                          relation=relation)  # fmt: skip
        return person, _("added")
    person.name, person.phone = name, phone or person.phone
    person.relation = relation or person.relation
    person.save(update_fields=["name", "phone", "relation"])
    return person, _("updated")


def import_household_row(row: dict[str, str], context: ImportContext) -> str:
    household = _household(_flat(row, context), row.get("户号", ""), row.get("户籍", ""))
    person, done = _person(household, row, relation=row.get("与户主关系", "")[:20])
    return f"{done} {person}"


def export_households(user: User) -> Iterable[list[Any]]:
    for person in selectors.people(user).select_related("household__flat__unit__building__compound"):
        household = person.household
        if household is None:
            continue
        flat = household.flat
        yield [
            flat.unit.building.compound.code, flat.unit.building.name, flat.unit.name, flat.room_number,
            household.number, "是" if household.registered else "否", person.name, person.relation,
            person.phone, person.id_number,
        ]  # fmt: skip


def import_rental_row(row: dict[str, str], context: ImportContext) -> str:
    flat = _flat(row, context)
    start, end = _date(row, "租期开始"), _date(row, "租期结束")
    if start is None or end is None:  # required: _date raised already
        raise RowError(_("租期开始 and 租期结束 are required."))
    if end < start:
        raise RowError(_("租期结束 is before 租期开始."))
    if not row["承租人"]:
        raise RowError(_("承租人 is empty."))
    rental, created = Rental.objects.update_or_create(
        flat=flat, lease_start=start,
        defaults={"tenant_name": row["承租人"][:50], "tenant_phone": row.get("承租人电话", "")[:30],
                  "tenant_count": _number(row, "租住人数", 1), "lease_end": end},
    )  # fmt: skip
    if flat.use in (Flat.Use.OWNER_OCCUPIED, Flat.Use.VACANT):
        flat.use = Flat.Use.RENTED
        flat.save(update_fields=["use"])
    return f"{_('added') if created else _('updated')} {rental}"


def export_rentals(user: User) -> Iterable[list[Any]]:
    for rental in selectors.rentals(user).select_related("flat__unit__building__compound").order_by("id"):
        flat = rental.flat
        yield [
            flat.unit.building.compound.code, flat.unit.building.name, flat.unit.name, flat.room_number,
            rental.tenant_name, rental.tenant_phone, rental.tenant_count, rental.lease_start.isoformat(),
            rental.lease_end.isoformat(),
        ]  # fmt: skip


def import_shop_row(row: dict[str, str], context: ImportContext) -> str:
    grid = (
        scope_queryset(Grid.objects.all(), context.user, ScopePaths(grid=""))
        .filter(code=row["网格编码"])
        .first()
    )
    if grid is None:
        raise RowError(_("Grid %(code)s does not exist or is outside your area.") % {"code": row["网格编码"]})
    if not row["名称"] or not row["地址"]:
        raise RowError(_("名称 and 地址 are required."))
    values = {
        "name": row["名称"][:100], "business": row.get("行业", "")[:50], "address": row["地址"][:200],
        "contact_name": row.get("联系人", "")[:50], "contact_phone": row.get("联系电话", "")[:30],
        "licence_expiry": _date(row, "执照有效期", required=False),
    }  # fmt: skip
    licence = row.get("营业执照号", "")[:30]
    lookup = {"grid": grid, "licence_number": licence} if licence else {"grid": grid, "name": values["name"]}
    shop, created = Shop.objects.update_or_create(**lookup, defaults=values)
    return f"{_('added') if created else _('updated')} {shop}"


def export_shops(user: User) -> Iterable[list[Any]]:
    for shop in selectors.shops(user).order_by("id"):
        yield [
            shop.grid.code, shop.name, shop.business, shop.address, shop.contact_name, shop.contact_phone,
            shop.licence_number, shop.licence_expiry.isoformat() if shop.licence_expiry else "",
        ]  # fmt: skip


def _categories(value: str) -> list[CareCategory]:
    names = [name.strip() for name in re.split(r"[、,，;；/]", value) if name.strip()]
    if not names:
        raise RowError(_("类别 is empty."))
    found = {category.name: category for category in CareCategory.objects.filter(name__in=names)}
    unknown = [name for name in names if name not in found]
    if unknown:
        raise RowError(_("Unknown categories: %(names)s.") % {"names": "、".join(unknown)})
    return [found[name] for name in names]


def import_care_row(row: dict[str, str], context: ImportContext) -> str:
    categories = _categories(row["类别"])
    household = _household(_flat(row, context), "")
    person, _done = _person(household, row)
    care_person, created = CarePerson.objects.update_or_create(
        person=person,
        defaults={"needs": row.get("需求", ""), "medicines": row.get("用药", ""), "active": True},
    )
    care_person.categories.set(categories)
    guardian, phone = row.get("监护人", "")[:50], row.get("监护人电话", "")[:30]
    if guardian and phone and not care_person.contacts.filter(name=guardian).exists():
        Contact.objects.create(care_person=care_person, name=guardian, phone=phone)
    return f"{_('added') if created else _('updated')} {care_person}"


def export_care_persons(user: User) -> Iterable[list[Any]]:
    for care_person in selectors.care_people(user).prefetch_related("contacts").order_by("id"):
        person = care_person.person
        flat = person.household.flat if person.household else None
        guardian = next(iter(care_person.contacts.all()), None)
        place = (
            [flat.unit.building.compound.code, flat.unit.building.name, flat.unit.name, flat.room_number]
            if flat else ["", "", "", ""]
        )  # fmt: skip
        yield [
            *place, person.name, person.phone, person.id_number,
            "、".join(category.name for category in care_person.categories.all()), care_person.needs,
            care_person.medicines, guardian.name if guardian else "", guardian.phone if guardian else "",
        ]  # fmt: skip
