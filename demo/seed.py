"""Write the planned demo street (demo/plan.py): the rows that do not exist yet, in one transaction."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import Department, User
from cases.defaults import ensure_default_catalogue
from demo.plan import DemoPlan, build_plan, plan_roster
from demo.street import (
    DEMO_PASSWORD,
    DISTRICT_CODE,
    DISTRICT_NAME,
    SHANGHAI,
    STREET_CODE,
    STREET_NAME,
)
from devices.catalogue import ensure_default_scenes
from devices.models import Scene, SensorPoint
from grids.geometry import GeoJSON, polygon_centre
from grids.models import Building, Community, Compound, District, DutyShift, Grid, Street
from grids.selectors import PlaceFinder
from people.demo import seed_demo_people

REPORTED_MODELS: list[type[Model]] = [
    District, Street, Community, Grid, Compound, Building, Scene, SensorPoint, Department, User, DutyShift,
]  # fmt: skip
AreaT = TypeVar("AreaT", Grid, Compound)
M = TypeVar("M", bound=Model)


@dataclass
class SeedReport:
    """Rows created by this run and rows of each kind in the database afterwards."""

    created: dict[type[Model], int] = field(default_factory=dict)
    total: dict[type[Model], int] = field(default_factory=dict)

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())


def _create_missing(
    model: type[M], rows: Iterable[M], existing: set[Any], key: Callable[[M], Any]
) -> list[M]:
    """bulk_create the rows whose natural key is not among the existing ones."""
    missing = [row for row in rows if key(row) not in existing]
    return model._default_manager.bulk_create(missing, batch_size=1000)


def seed_demo(*, today: date | None = None) -> SeedReport:
    """Create the demo street's rows that do not exist yet (matched by code / username), in one
    transaction. Existing rows are left as they are: an admin may have edited them."""
    plan = build_plan()
    today = today or timezone.localtime(timezone=SHANGHAI).date()
    report = SeedReport()
    with transaction.atomic():
        report.created[Scene] = ensure_default_scenes()
        report.created[Department] = _seed_departments(plan)
        report.created[User] = _seed_users(plan)
        report.created.update(_seed_geography(plan))
        report.created[SensorPoint] = _seed_points(plan)
        report.created[DutyShift] = _seed_roster(plan, today)
        ensure_default_catalogue()  # the case categories the demo cases and the console use
        report.created.update(seed_demo_people(today=today))
    report.total = {model: model._default_manager.count() for model in REPORTED_MODELS}
    return report


def _seed_departments(plan: DemoPlan) -> int:
    existing = set(Department.objects.values_list("code", flat=True))
    rows = [Department(code=d.code, name=d.name, kind=d.kind, phone=d.phone) for d in plan.departments]
    return len(_create_missing(Department, rows, existing, lambda d: d.code))


def _seed_users(plan: DemoPlan) -> int:
    existing = set(User.objects.values_list("username", flat=True))
    if all(u.username in existing for u in plan.users):
        return 0
    password = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: once for every account
    departments = dict(Department.objects.values_list("code", "id"))
    rows = [
        User(
            username=u.username,
            first_name=u.name,  # Chinese names are written whole, surname first
            role=u.role,
            department_id=departments[u.department_code] if u.department_code else None,
            phone=u.phone,
            password=password,
            is_superuser=u.superuser,
            is_staff=u.superuser,
        )
        for u in plan.users
    ]
    return len(_create_missing(User, rows, existing, lambda u: u.username))


def _seed_geography(plan: DemoPlan) -> dict[type[Model], int]:
    created: dict[type[Model], int] = {}
    users = dict(
        User.objects.filter(username__in=[u.username for u in plan.users]).values_list("username", "id")
    )
    district, made = District.objects.get_or_create(code=DISTRICT_CODE, defaults={"name": DISTRICT_NAME})
    created[District] = int(made)
    street, made = Street.objects.get_or_create(
        code=STREET_CODE,
        defaults={"district": district, "name": STREET_NAME, "leader_id": users[plan.street_leader]},
    )
    created[Street] = int(made)
    if made:
        street.officials.add(*(users[name] for name in plan.street_officials))

    # `existing` and `rows` hold each model's natural keys and new rows in turn.
    existing: set[Any] = set(Community.objects.values_list("code", flat=True))
    rows: list[Any] = [
        Community(street=street, code=code, name=name, secretary_id=users[secretary])
        for code, name, secretary in plan.communities
    ]
    created[Community] = len(_create_missing(Community, rows, existing, lambda c: c.code))
    communities = dict(Community.objects.filter(street=street).values_list("code", "id"))

    existing = set(Grid.objects.values_list("code", flat=True))
    rows = [
        _area(Grid(community_id=communities[g.community_code], code=g.code, name=g.name), g.boundary)
        for g in plan.grids
    ]
    new_grids = _create_missing(Grid, rows, existing, lambda g: g.code)
    created[Grid] = len(new_grids)
    grids = dict(Grid.objects.filter(code__in=[g.code for g in plan.grids]).values_list("code", "id"))
    # Workers join the grids created now; grids that existed keep the membership an admin gave them.
    new_codes = {grid.code for grid in new_grids}
    Grid.workers.through.objects.bulk_create(
        [
            Grid.workers.through(grid_id=grids[code], user_id=users[u.username])
            for u in plan.users
            for code in u.grid_codes
            if code in new_codes
        ],
        ignore_conflicts=True,
    )

    departments = dict(Department.objects.values_list("code", "id"))
    existing = set(Compound.objects.values_list("code", flat=True))
    rows = [
        _area(
            Compound(
                community_id=communities[c.community_code],
                grid_id=grids[c.grid_code],
                code=c.code,
                name=c.name,
                address=c.address,
                property_company_id=departments.get(c.property_code),
            ),
            c.boundary,
        )
        for c in plan.compounds
    ]
    created[Compound] = len(_create_missing(Compound, rows, existing, lambda c: c.code))
    compounds = dict(
        Compound.objects.filter(code__in=[c.code for c in plan.compounds]).values_list("code", "id")
    )

    existing = set(
        Building.objects.filter(compound_id__in=compounds.values()).values_list("compound__code", "name")
    )
    rows = [
        Building(compound_id=compounds[b.compound_code], name=b.name, lat=b.lat, lng=b.lng)
        for b in plan.buildings
    ]
    compound_codes = {pk: code for code, pk in compounds.items()}
    created[Building] = len(
        _create_missing(Building, rows, existing, lambda b: (compound_codes[b.compound_id], b.name))
    )
    return created


def _area(area: AreaT, boundary: GeoJSON) -> AreaT:
    # bulk_create skips Area.save(), which keeps the centre point: set it here.
    area.boundary = boundary
    area.centre_lat, area.centre_lng = polygon_centre(boundary)
    return area


def _seed_points(plan: DemoPlan) -> int:
    existing = set(SensorPoint.objects.values_list("code", flat=True))
    todo = [p for p in plan.points if p.code not in existing]
    if not todo:
        return 0
    scenes = {scene.code: scene for scene in Scene.objects.all()}
    missing = sorted({p.scene_code for p in todo} - scenes.keys())
    if missing:
        raise LookupError(f"the scene catalogue lacks {', '.join(missing)}: devices.catalogue changed?")
    departments = dict(Department.objects.values_list("code", "id"))
    property_of = dict(Compound.objects.values_list("id", "property_company_id"))
    buildings = {
        (code, name): pk for pk, code, name in Building.objects.values_list("id", "compound__code", "name")
    }
    places = PlaceFinder().place_many([(p.lat, p.lng) for p in todo])
    rows = []
    for p, place in zip(todo, places, strict=True):
        scene = scenes[p.scene_code]
        if p.department_code is not None:
            department_id = departments.get(p.department_code)
        else:
            department_id = property_of.get(place.compound_id) if place.compound_id else None
        rows.append(
            SensorPoint(
                code=p.code,
                scene=scene,
                sensor_type=scene.sensor_type,
                lat=p.lat,
                lng=p.lng,
                grid_id=place.grid_id,
                compound_id=place.compound_id,
                building_id=buildings.get(p.building) if p.building else None,
                department_id=department_id,
                status=p.status,
                installed_on=p.installed_on,
            )
        )
    return len(SensorPoint.objects.bulk_create(rows, batch_size=1000))


def _seed_roster(plan: DemoPlan, today: date) -> int:
    users = dict(
        User.objects.filter(username__in=[u.username for u in plan.users]).values_list("username", "id")
    )
    grids = dict(Grid.objects.filter(code__in=[g.code for g in plan.grids]).values_list("code", "id"))
    shifts = plan_roster(plan, today)
    first = min(s.starts_at for s in shifts)
    existing = set(
        DutyShift.objects.filter(starts_at__gte=first).values_list("duty", "grid_id", "starts_at")
    )  # one person per duty, grid and shift: never a second one, whoever an admin put there
    rows = [
        DutyShift(
            user_id=users[s.username],
            duty=s.duty,
            grid_id=grids[s.grid_code] if s.grid_code else None,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
        )
        for s in shifts
    ]
    return len(_create_missing(DutyShift, rows, existing, lambda s: (s.duty, s.grid_id, s.starts_at)))
