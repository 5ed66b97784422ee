"""Reads of people and places, scoped to the caller (grids/scoping.py). Other apps (the worker's tasks,
the map, the stats page, the SOS path) read through these."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts import privacy
from accounts.models import User
from grids.models import Building
from grids.scoping import scope_queryset

from .models import CarePerson, Contact, Flat, Household, Person, Rental, Shop, ShopStaff, Visit
from .scopes import (
    BUILDING_SCOPE,
    CARE_SCOPE,
    FLAT_SCOPE,
    HOUSEHOLD_SCOPE,
    PERSON_SCOPE,
    RENTAL_SCOPE,
    SHOP_SCOPE,
    STAFF_SCOPE,
    VISIT_SCOPE,
)

LEASE_ENDING_DAYS = 30
CERTIFICATE_EXPIRING_DAYS = 30


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def buildings(user: User) -> QuerySet[Building]:
    return scope_queryset(Building.objects.select_related("compound__grid"), user, BUILDING_SCOPE)


def flats(user: User) -> QuerySet[Flat]:
    return scope_queryset(Flat.objects.select_related("unit__building__compound"), user, FLAT_SCOPE)


def households(user: User) -> QuerySet[Household]:
    return scope_queryset(Household.objects.select_related("flat__unit__building"), user, HOUSEHOLD_SCOPE)


def people(user: User) -> QuerySet[Person]:
    return scope_queryset(Person.objects.select_related("household__flat"), user, PERSON_SCOPE)


def rentals(user: User) -> QuerySet[Rental]:
    return scope_queryset(Rental.objects.select_related("flat__unit__building__compound"), user, RENTAL_SCOPE)


def active_rentals(user: User, *, today: date | None = None) -> QuerySet[Rental]:
    day = _today(today)
    return rentals(user).filter(lease_start__lte=day, lease_end__gte=day)


def leases_ending(
    user: User, *, within_days: int = LEASE_ENDING_DAYS, today: date | None = None
) -> QuerySet[Rental]:
    """Leases running today that end within `within_days`: the grid worker checks the flat (task list),
    the map marks the flat with a yellow triangle."""
    day = _today(today)
    return active_rentals(user, today=day).filter(lease_end__lte=day + timedelta(days=within_days))


def lease_is_ending(rental: Rental, *, today: date | None = None) -> bool:
    day = _today(today)
    return rental.active_on(day) and rental.lease_end <= day + timedelta(days=LEASE_ENDING_DAYS)


def people_by_id_number(user: User, id_number: str) -> QuerySet[Person]:
    """Exact search by ID number: compares the keyed hash, never the number itself."""
    digest = privacy.lookup_hash(id_number)
    return people(user).filter(id_number_hash=digest) if digest else people(user).none()


@dataclass(frozen=True)
class FlatMark:
    """How a flat is drawn on a building's page and on the map."""

    flat: Flat
    rented: bool  # blue
    lease_ending: bool  # yellow triangle
    lease_end: date | None
    tenant_count: int


def building_flats(user: User, building_id: int, *, today: date | None = None) -> list[FlatMark]:
    """The flats of a building in the caller's scope, unit by unit, with their rental marks."""
    day = _today(today)
    running = Rental.objects.filter(lease_start__lte=day, lease_end__gte=day).order_by("-lease_end")
    rows = (
        flats(user)
        .filter(unit__building_id=building_id)
        .prefetch_related(Prefetch("rentals", queryset=running, to_attr="running"))
        .order_by("unit__name", "-floor", "room_number")
    )
    horizon = day + timedelta(days=LEASE_ENDING_DAYS)
    marks = []
    for flat in rows:
        lease = flat.running[0] if flat.running else None
        marks.append(
            FlatMark(
                flat=flat,
                rented=lease is not None,
                lease_ending=lease is not None and lease.lease_end <= horizon,
                lease_end=lease.lease_end if lease else None,
                tenant_count=lease.tenant_count if lease else 0,
            )
        )
    return marks


def building_rental_counts(user: User, *, today: date | None = None) -> QuerySet[Building]:
    """Buildings annotated with `flat_count`, `rented_count` and `lease_ending_count`: the map's colours."""
    day = _today(today)
    running = Q(units__flats__rentals__lease_start__lte=day, units__flats__rentals__lease_end__gte=day)
    ending = running & Q(units__flats__rentals__lease_end__lte=day + timedelta(days=LEASE_ENDING_DAYS))
    return buildings(user).annotate(
        flat_count=Count("units__flats", distinct=True),
        rented_count=Count("units__flats", filter=running, distinct=True),
        lease_ending_count=Count("units__flats", filter=ending, distinct=True),
    )


def shops(user: User) -> QuerySet[Shop]:
    return scope_queryset(Shop.objects.select_related("grid", "compound"), user, SHOP_SCOPE)


@dataclass(frozen=True)
class ExpiringCertificate:
    """A shop's business licence or a staff member's health certificate expiring (or expired): a task."""

    kind: str  # "licence" or "health_certificate"
    shop: Shop
    staff: ShopStaff | None
    expires_on: date
    expired: bool


def expiring_certificates(
    user: User, *, within_days: int = CERTIFICATE_EXPIRING_DAYS, today: date | None = None
) -> list[ExpiringCertificate]:
    """Licences and health certificates of the caller's shops that expire within `within_days` or have
    expired, soonest first: the grid worker asks the shop for the renewed one."""
    day = _today(today)
    horizon = day + timedelta(days=within_days)
    found = [
        ExpiringCertificate("licence", shop, None, shop.licence_expiry, shop.licence_expiry < day)
        for shop in shops(user).filter(licence_expiry__lte=horizon)
        if shop.licence_expiry is not None
    ]
    staff = scope_queryset(ShopStaff.objects.select_related("shop"), user, STAFF_SCOPE)
    found += [
        ExpiringCertificate(
            "health_certificate",
            member.shop,
            member,
            member.health_certificate_expiry,
            member.health_certificate_expiry < day,
        )
        for member in staff.filter(health_certificate_expiry__lte=horizon)
        if member.health_certificate_expiry is not None
    ]
    return sorted(found, key=lambda item: (item.expires_on, item.shop.pk))


def care_people(user: User) -> QuerySet[CarePerson]:
    queryset = CarePerson.objects.filter(active=True).select_related(
        "person__household__flat__unit__building__compound", "worker"
    )
    return scope_queryset(queryset.prefetch_related("categories"), user, CARE_SCOPE)


def visits(user: User) -> QuerySet[Visit]:
    return scope_queryset(Visit.objects.select_related("care_person__person", "visitor"), user, VISIT_SCOPE)


def visit_interval_days(care_person: CarePerson) -> int | None:
    """The shortest interval of the person's categories (a lonely elderly veteran: weekly); None: no plan."""
    intervals = [category.visit_interval_days for category in care_person.categories.all()]
    return min(intervals) if intervals else None


@dataclass(frozen=True)
class OverdueVisit:
    care_person: CarePerson
    last_visit_at: datetime | None
    due_at: datetime
    days_overdue: int


def overdue_visits(user: User, *, now: datetime | None = None) -> list[OverdueVisit]:
    """People in the caller's scope whose next visit was due before `now`, longest overdue first: the
    grid worker's tasks and the stats page. The first visit is due one interval after they were added."""
    now = now or timezone.now()
    rows = care_people(user).annotate(last_visit_at=Max("visits__visited_at"))
    found = []
    for care_person in rows:
        interval = visit_interval_days(care_person)
        if interval is None:
            continue
        last = care_person.last_visit_at
        due_at = (last or care_person.since) + timedelta(days=interval)
        if due_at < now:
            found.append(OverdueVisit(care_person, last, due_at, (now - due_at).days))
    return sorted(found, key=lambda item: item.due_at)


@dataclass(frozen=True)
class CareCard:
    """What helpers need at once (the SOS path, the phone): who, where, needs, medicines, whom to call.
    Names and phones come masked unless the caller asked for them unmasked (and logged it)."""

    care_person_id: int
    name: str
    phone: str
    address: str
    building_id: int | None
    compound_id: int | None
    grid_id: int | None
    categories: list[str]
    needs: str
    medicines: str
    worker: str
    contacts: list[dict[str, str]] = field(default_factory=list)


def care_card(care_person: CarePerson, *, unmasked: bool = False) -> CareCard:
    person = care_person.person
    show_name = (lambda value: value) if unmasked else privacy.mask_name
    show_phone = (lambda value: value) if unmasked else privacy.mask_phone
    flat = person.household.flat if person.household else None
    building = flat.unit.building if flat else None
    contacts: list[Contact] = list(care_person.contacts.all())
    return CareCard(
        care_person_id=care_person.pk,
        name=show_name(person.name),
        phone=show_phone(person.phone),
        address=str(flat) if flat else "",
        building_id=building.pk if building else None,
        compound_id=building.compound_id if building else None,
        grid_id=building.compound.grid_id if building else None,
        categories=[category.name for category in care_person.categories.all()],
        needs=care_person.needs,
        medicines=care_person.medicines,
        worker=str(care_person.worker) if care_person.worker else "",
        contacts=[
            {
                "kind": contact.get_kind_display(),
                "name": show_name(contact.name),
                "relation": contact.relation,
                "phone": show_phone(contact.phone),
            }
            for contact in contacts
        ],
    )


def care_card_for(care_person_id: int, *, unmasked: bool = False) -> CareCard | None:
    """The card by id, unscoped: the SOS path reads it for the guard and the center, who are not in scope."""
    care_person = (
        CarePerson.objects.select_related("person__household__flat__unit__building__compound", "worker")
        .prefetch_related("categories", "contacts")
        .filter(pk=care_person_id)
        .first()
    )
    return care_card(care_person, unmasked=unmasked) if care_person else None
