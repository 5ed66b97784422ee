"""The demo street planned from its facts (demo/street.py) and a fixed random seed, without touching the
database: the same codes and coordinates every time."""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from accounts.models import Department, User
from demo.street import (
    AGENCIES,
    BUILDING_SCENES,
    CENTRE_LAT,
    CENTRE_LNG,
    CODE_PREFIX,
    COLUMNS,
    COMMUNITIES,
    COMPOUND_POINTS,
    COMPOUNDS,
    DAY_SHIFT_START,
    GIVEN,
    GRID_WORKERS,
    KM_PER_DEG_LAT,
    KM_PER_DEG_LNG,
    MAINTENANCE_SHARE,
    NAME_ENDINGS,
    NAME_STEMS,
    NAMED_COMPOUNDS,
    NIGHT_SHIFT_START,
    PROPERTY_STEMS,
    ROADS,
    ROSTER_DAYS,
    ROWS,
    SEED,
    SHANGHAI,
    STREET_CODE,
    STREET_DEPARTMENT,
    STREET_KM,
    STREET_POINTS,
    SURNAMES,
)
from devices.models import SensorPoint
from grids.geometry import GeoJSON
from grids.models import DutyShift

Quad = tuple[tuple[float, float], ...]  # SW, SE, NE, NW as (lng, lat)


@dataclass(frozen=True)
class PlannedDepartment:
    code: str
    name: str
    kind: str
    phone: str


@dataclass(frozen=True)
class PlannedGrid:
    code: str
    name: str
    community_code: str
    quad: Quad

    @property
    def boundary(self) -> GeoJSON:
        return _polygon(self.quad)


@dataclass(frozen=True)
class PlannedCompound:
    code: str
    name: str
    address: str
    grid_code: str
    community_code: str
    property_code: str
    uv: tuple[float, float, float, float]  # u0, u1, v0, v1 inside its grid
    quad: Quad

    @property
    def boundary(self) -> GeoJSON:
        return _polygon(self.quad)


@dataclass(frozen=True)
class PlannedBuilding:
    compound_code: str
    name: str
    lat: float
    lng: float


@dataclass(frozen=True)
class PlannedPoint:
    code: str
    scene_code: str
    lat: float
    lng: float
    building: tuple[str, str] | None  # (compound code, building name)
    department_code: str | None  # None: the property company of the compound it lies in
    status: str
    installed_on: date


@dataclass(frozen=True)
class PlannedUser:
    username: str
    name: str
    role: str
    department_code: str | None = None
    grid_codes: tuple[str, ...] = ()
    phone: str = ""
    superuser: bool = False


@dataclass(frozen=True)
class DemoPlan:
    communities: list[tuple[str, str, str]]  # code, name, secretary username
    grids: list[PlannedGrid]
    compounds: list[PlannedCompound]
    buildings: list[PlannedBuilding]
    points: list[PlannedPoint]
    departments: list[PlannedDepartment]
    users: list[PlannedUser]
    street_leader: str
    street_officials: list[str]
    duty_chiefs: list[str]
    dispatchers: list[str]


def _polygon(quad: Quad) -> GeoJSON:
    ring = [*quad, quad[0]]
    return {"type": "Polygon", "coordinates": [[[round(lng, 7), round(lat, 7)] for lng, lat in ring]]}


def _bilinear(quad: Quad, u: float, v: float) -> tuple[float, float]:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = quad
    a, b, c, d = (1 - u) * (1 - v), u * (1 - v), u * v, (1 - u) * v
    return a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3


def _sub_quad(quad: Quad, u0: float, u1: float, v0: float, v1: float) -> Quad:
    return (
        _bilinear(quad, u0, v0),
        _bilinear(quad, u1, v0),
        _bilinear(quad, u1, v1),
        _bilinear(quad, u0, v1),
    )


def _lattice(rng: random.Random) -> list[list[tuple[float, float]]]:
    """(COLUMNS+1) × (ROWS+1) vertices, each moved by up to 10 % of a cell: convex quads, no overlap."""
    width = STREET_KM[0] / KM_PER_DEG_LNG
    height = STREET_KM[1] / KM_PER_DEG_LAT
    west, south = CENTRE_LNG - width / 2, CENTRE_LAT - height / 2
    cell_w, cell_h = width / COLUMNS, height / ROWS
    return [
        [
            (
                round(west + i * cell_w + rng.uniform(-0.1, 0.1) * cell_w, 7),
                round(south + j * cell_h + rng.uniform(-0.1, 0.1) * cell_h, 7),
            )
            for j in range(ROWS + 1)
        ]
        for i in range(COLUMNS + 1)
    ]


def _person(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        if name not in taken:
            taken.add(name)
            return name


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _compound_names(rng: random.Random) -> list[str]:
    generated = [stem + ending for stem in NAME_STEMS for ending in NAME_ENDINGS]
    generated = [name for name in generated if name not in NAMED_COMPOUNDS]
    return NAMED_COMPOUNDS + rng.sample(generated, COMPOUNDS - len(NAMED_COMPOUNDS))


@lru_cache(maxsize=1)
def build_plan() -> DemoPlan:
    """Everything the demo street holds, from the fixed seed. Pure: no database access."""
    rng = random.Random(SEED)
    departments = [
        PlannedDepartment(code, name, kind, f"021-6{rng.randrange(10**7):07d}")
        for code, name, kind in AGENCIES
    ]
    properties = [
        PlannedDepartment(
            f"property-{n:02d}",
            f"上海{stem}物业管理有限公司",
            Department.Kind.PROPERTY,
            f"021-6{rng.randrange(10**7):07d}",
        )
        for n, stem in enumerate(PROPERTY_STEMS, start=1)
    ]
    departments += properties

    # Grids: column c is community c (3 grids each).
    lattice = _lattice(rng)
    communities: list[tuple[str, str, str]] = []
    grids: list[PlannedGrid] = []
    for c, short in enumerate(COMMUNITIES):
        community_code = f"{STREET_CODE}{c + 1:03d}"
        communities.append((community_code, f"{short}社区", f"sec{c + 1:02d}"))
        for r in range(ROWS):
            quad = (lattice[c][r], lattice[c + 1][r], lattice[c + 1][r + 1], lattice[c][r + 1])
            grids.append(
                PlannedGrid(f"{community_code}{r + 1:03d}", f"{short}第{r + 1}网格", community_code, quad)
            )

    # Compounds: 7 or 8 per grid, each in its own cell of a 3 × 3 split of the grid, roads in between.
    names = _compound_names(rng)
    rng.shuffle(names)
    per_grid = [COMPOUNDS // len(grids)] * len(grids)
    for k in rng.sample(range(len(grids)), COMPOUNDS % len(grids)):
        per_grid[k] += 1
    compounds: list[PlannedCompound] = []
    for grid, count in zip(grids, per_grid, strict=True):
        cells = sorted(rng.sample(range(9), count))
        for k, cell in enumerate(cells, start=1):
            i, j = cell % 3, cell // 3
            u0, u1 = i / 3 + rng.uniform(0.03, 0.06), (i + 1) / 3 - rng.uniform(0.03, 0.06)
            v0, v1 = j / 3 + rng.uniform(0.03, 0.06), (j + 1) / 3 - rng.uniform(0.03, 0.06)
            # The first compound of the first grid belongs to property-01 (the demo `handler`'s company).
            owner = "property-01" if not compounds else rng.choice(properties).code
            compounds.append(
                PlannedCompound(
                    code=f"{grid.code}{k:02d}",
                    name=names[len(compounds)],
                    address=f"{rng.choice(ROADS)}{rng.randrange(1, 1200)}弄",
                    grid_code=grid.code,
                    community_code=grid.community_code,
                    property_code=owner,
                    uv=(u0, u1, v0, v1),
                    quad=_sub_quad(grid.quad, u0, u1, v0, v1),
                )
            )
    grid_by_code = {grid.code: grid for grid in grids}

    # Buildings on a small lattice inside each compound.
    buildings: list[PlannedBuilding] = []
    building_uv: dict[str, list[tuple[str, float, float]]] = {}
    for compound in compounds:
        u0, u1, v0, v1 = compound.uv
        cols, rows = rng.randint(2, 4), rng.randint(2, 5)
        slots = [(a, b) for a in range(cols) for b in range(rows)]
        chosen = sorted(rng.sample(slots, rng.randint(max(2, len(slots) - 4), len(slots))))
        building_uv[compound.code] = []
        for n, (a, b) in enumerate(chosen, start=1):
            u = u0 + (u1 - u0) * (a + 0.5) / cols
            v = v0 + (v1 - v0) * (b + 0.5) / rows
            lng, lat = _bilinear(grid_by_code[compound.grid_code].quad, u, v)
            buildings.append(PlannedBuilding(compound.code, f"{n}号楼", round(lat, 7), round(lng, 7)))
            building_uv[compound.code].append((f"{n}号楼", u, v))

    points = _plan_points(rng, grids, compounds, building_uv)
    users, extras = _plan_users(rng, grids, communities, properties)
    return DemoPlan(
        communities=communities,
        grids=grids,
        compounds=compounds,
        buildings=buildings,
        points=points,
        departments=departments,
        users=users,
        **extras,
    )


def _plan_points(
    rng: random.Random,
    grids: list[PlannedGrid],
    compounds: list[PlannedCompound],
    building_uv: dict[str, list[tuple[str, float, float]]],
) -> list[PlannedPoint]:
    grid_by_code = {grid.code: grid for grid in grids}
    weights = [len(building_uv[c.code]) for c in compounds]
    numbers: dict[str, int] = {}
    points: list[PlannedPoint] = []

    def add(
        scene: str,
        u: float,
        v: float,
        grid: PlannedGrid,
        building: tuple[str, str] | None,
        department: str | None,
    ) -> None:
        numbers[scene] = numbers.get(scene, 0) + 1
        lng, lat = _bilinear(grid.quad, u, v)
        points.append(
            PlannedPoint(
                code=f"GZ{CODE_PREFIX[scene]}{numbers[scene]:05d}",
                scene_code=scene,
                lat=round(lat, 7),
                lng=round(lng, 7),
                building=building,
                department_code=department,
                status=(
                    SensorPoint.Status.MAINTENANCE
                    if rng.random() < MAINTENANCE_SHARE
                    else SensorPoint.Status.ACTIVE
                ),
                installed_on=date(2018, 6, 1) + timedelta(days=rng.randrange(300)),
            )
        )

    margin = 0.004  # in (u, v): a few metres off the compound's edge
    for scene, count in COMPOUND_POINTS.items():
        by_building = scene in BUILDING_SCENES
        for compound in rng.choices(compounds, weights=weights if by_building else None, k=count):
            u0, u1, v0, v1 = compound.uv
            grid = grid_by_code[compound.grid_code]
            if by_building:
                name, u, v = rng.choice(building_uv[compound.code])
                du, dv = (u1 - u0) * 0.05, (v1 - v0) * 0.05
                u = min(max(u + rng.uniform(-du, du), u0 + margin), u1 - margin)
                v = min(max(v + rng.uniform(-dv, dv), v0 + margin), v1 - margin)
                add(scene, u, v, grid, (compound.code, name), None)
            else:
                add(
                    scene,
                    rng.uniform(u0 + margin, u1 - margin),
                    rng.uniform(v0 + margin, v1 - margin),
                    grid,
                    None,
                    None,
                )

    # On the street: anywhere in a grid but clear of every compound (roads, shops, squares).
    rects: dict[str, list[tuple[float, float, float, float]]] = {}
    for compound in compounds:
        rects.setdefault(compound.grid_code, []).append(compound.uv)
    for scene, count in STREET_POINTS.items():
        for _ in range(count):
            grid = rng.choice(grids)
            while True:
                u, v = rng.uniform(0.01, 0.99), rng.uniform(0.01, 0.99)
                if not any(
                    a - 0.01 <= u <= b + 0.01 and c - 0.01 <= v <= d + 0.01 for a, b, c, d in rects[grid.code]
                ):
                    break
            add(scene, u, v, grid, None, STREET_DEPARTMENT[scene])
    return points


def _plan_users(
    rng: random.Random,
    grids: list[PlannedGrid],
    communities: list[tuple[str, str, str]],
    properties: list[PlannedDepartment],
) -> tuple[list[PlannedUser], dict[str, Any]]:
    taken: set[str] = set()
    role = User.Role

    def person(username: str, user_role: str, **fields: Any) -> PlannedUser:
        return PlannedUser(username, _person(rng, taken), user_role, phone=_phone(rng), **fields)

    # 40 grid workers: two per grid, the four left over join the first grids; `gridworker` is one of them.
    beats: list[list[str]] = [[grid.code] for grid in grids] * 2
    beats += [[grids[k].code] for k in range(GRID_WORKERS - len(beats))]
    usernames = ["gridworker"] + [f"gw{n:02d}" for n in range(2, GRID_WORKERS + 1)]
    users = [
        person("admin", role.ADMIN, department_code="street-office", superuser=True),
        person("dispatcher", role.DISPATCHER, department_code="street-office"),
        person("handler", role.HANDLER, department_code="property-01"),
        person("official", role.OFFICIAL, department_code="street-office"),
        person("leader", role.OFFICIAL, department_code="street-office"),
    ]
    users += [
        person(username, role.GRID_WORKER, department_code="street-office", grid_codes=tuple(beat))
        for username, beat in zip(usernames, beats, strict=True)
    ]
    # Community secretaries are notified by escalations; they are not street officials (no street-wide scope).
    users += [
        person(secretary, role.OFFICIAL, department_code="street-office") for _, _, secretary in communities
    ]
    chiefs = [f"chief{n:02d}" for n in range(1, 4)]
    dispatchers = ["dispatcher", "dispatcher02", "dispatcher03"]
    users += [person(username, role.DISPATCHER, department_code="street-office") for username in chiefs]
    users += [
        person(username, role.DISPATCHER, department_code="street-office") for username in dispatchers[1:]
    ]
    # One handler per department besides the demo `handler` of property-01.
    for code, _, _ in AGENCIES[1:]:
        users.append(person(f"handler-{code}", role.HANDLER, department_code=code))
    for department in properties[1:]:
        users.append(person(f"handler-{department.code}", role.HANDLER, department_code=department.code))
    extras = {
        "street_leader": "leader",
        "street_officials": ["official", "leader"],
        "duty_chiefs": chiefs,
        "dispatchers": dispatchers,
    }
    return users, extras


@dataclass(frozen=True)
class PlannedShift:
    username: str
    duty: str
    grid_code: str | None
    starts_at: datetime
    ends_at: datetime


def plan_roster(plan: DemoPlan, today: date) -> list[PlannedShift]:
    """Day (08-20) and night (20-08) shifts in Asia/Shanghai for today and the next days (ROSTER_DAYS),
    from yesterday's night shift, which covers today until 08:00: an on-duty grid worker per grid, a
    duty chief and a dispatcher. People take turns: day and night swap every day."""
    workers: dict[str, list[str]] = {}
    for user in plan.users:
        for code in user.grid_codes:
            workers.setdefault(code, []).append(user.username)
    shifts: list[PlannedShift] = []
    for offset in range(-1, ROSTER_DAYS):
        day = today + timedelta(days=offset)
        for half, start in enumerate((DAY_SHIFT_START, NIGHT_SHIFT_START)):
            if offset < 0 and start == DAY_SHIFT_START:
                continue
            starts_at = datetime.combine(day, start, tzinfo=SHANGHAI)
            ends_at = starts_at + timedelta(hours=12)
            turn = day.toordinal() + half  # the same person for the same shift, whenever seeded
            for grid in plan.grids:
                beat = workers[grid.code]
                shifts.append(
                    PlannedShift(
                        beat[turn % len(beat)], DutyShift.Duty.GRID_WORKER, grid.code, starts_at, ends_at
                    )
                )
            for duty, people in (
                (DutyShift.Duty.DUTY_CHIEF, plan.duty_chiefs),
                (DutyShift.Duty.DISPATCHER, plan.dispatchers),
            ):
                shifts.append(PlannedShift(people[turn % len(people)], duty, None, starts_at, ends_at))
    return shifts
