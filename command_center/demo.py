"""The demo street: a street modelled on Guangzhong Road (广中路街道, Hongkou, Shanghai).

Public figures (DESIGN.md, seeds/000): 2.89 km², 137 compounds, 9,165 sensor points, of which 8,235
inside compounds and 930 on the street. `build_plan()` computes everything from a fixed random seed
without touching the database (same codes and coordinates every time); `seed_demo()` writes the rows
that do not exist yet, so a second run creates nothing and changes nothing.

Geometry: the street is a 6 × 3 lattice of slightly jittered quadrilaterals (the 18 grids, one column
of three per community), so neighbouring grids share their edges exactly and never overlap. A compound
is a sub-rectangle of its grid in the grid's bilinear (u, v) coordinates; lines of constant u or v are
straight in a bilinear quad, so the compound is a quadrilateral inside its (convex) grid.
"""

import importlib
import importlib.util
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from command_center.models import Department, User
from devices.catalogue import ensure_default_scenes
from devices.models import Scene, SensorPoint
from grids.geometry import GeoJSON, polygon_centre
from grids.models import Building, Community, Compound, District, DutyShift, Grid, Street
from grids.selectors import PlaceFinder

DEMO_PASSWORD = "demo12345"  # noqa: S105 (demo data only, README says so)
DEMO_ACCOUNTS = ["admin", "dispatcher", "gridworker", "handler", "official"]
SEED = 20190401  # the fixed random seed: change it and every code and coordinate changes

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROSTER_DAYS = 8  # today and the next 7 days
DAY_SHIFT_START, NIGHT_SHIFT_START = time(8, 0), time(20, 0)

DISTRICT_CODE, DISTRICT_NAME = "310109", "虹口区"
STREET_CODE, STREET_NAME = "310109011", "广中路街道"
CENTRE_LAT, CENTRE_LNG = 31.27, 121.48
STREET_KM = (2.04, 1.417)  # east-west × north-south: 2.89 km²
COLUMNS, ROWS = 6, 3  # 18 grids; community n is column n
KM_PER_DEG_LAT = 110.95
KM_PER_DEG_LNG = 95.15  # at 31.27 N
COMPOUNDS = 137
GRID_WORKERS = 40

COMMUNITIES = ["广中一村", "商业一村", "水电路", "新广", "广灵", "何家宅"]
ROADS = [
    "广中路", "水电路", "西江湾路", "东江湾路", "广灵一路", "广灵二路", "广灵四路", "新市北路",
    "同心路", "花园路", "运光路", "玉田路", "凉城路", "广纪路", "场中路", "柳营路",
]  # fmt: skip
NAMED_COMPOUNDS = [
    "凉城新村", "何家宅小区", "广中一村", "广中二村", "广中三村", "广中四村", "商业一村", "商业二村",
    "水电新村", "新广小区", "广灵小区", "江湾新村", "运光新村", "玉田新村", "花园新村", "同心公寓",
]  # fmt: skip
NAME_STEMS = [
    "广中", "广灵", "水电", "西江湾", "东江湾", "新市", "同心", "运光", "玉田", "凉城", "江湾", "虹湾",
    "瑞虹", "怡景", "和平", "永安", "春晖", "梅园", "兰馨", "柳营", "建设", "绿园", "翠庭", "金岸",
    "景云", "嘉兴", "丰乐", "德馨", "锦绣", "康乐",
]  # fmt: skip
NAME_ENDINGS = ["新村", "小区", "公寓", "花园", "苑", "大楼", "坊", "里", "家园", "雅苑"]
PROPERTY_STEMS = [
    "虹口房产", "广中", "江湾", "东方", "明华", "永业", "瑞虹", "新市", "凉城", "同心", "安居", "恒泰",
    "和顺", "嘉和", "德华", "佳园",
]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌浩宇婷欣怡晨鑫海燕"

# Departments besides the property companies: (code, name, kind).
AGENCIES = [
    ("street-office", "广中路街道办事处", Department.Kind.STREET),
    ("urban-management", "广中路街道城管执法中队", Department.Kind.URBAN_MANAGEMENT),
    ("fire", "虹口区消防救援支队广中路消防站", Department.Kind.FIRE),
    ("water", "虹口区水务所", Department.Kind.WATER),
    ("police", "虹口分局广中路派出所", Department.Kind.POLICE),
    ("environment", "虹口区生态环境局", Department.Kind.ENVIRONMENT),
    ("housing", "广中路街道房管办", Department.Kind.HOUSING),
    ("market", "虹口区市场监管局广中路市场监管所", Department.Kind.MARKET),
    ("greening", "广中路街道绿化市容所", Department.Kind.OTHER),
]
# Sensor points per scene: inside compounds (8,235) and on the street (930), as in the public report.
COMPOUND_POINTS = {
    "smoke": 5900, "door-open": 900, "fire-lane": 420, "hydrant-pressure": 380, "temperature": 260,
    "sos": 180, "nonmotor-parking": 120, "waterlogging": 75,
}  # fmt: skip
STREET_POINTS = {
    "nonmotor-parking": 360, "smoke": 160, "hydrant-pressure": 150, "noise": 120, "waterlogging": 90,
    "fire-lane": 50,
}  # fmt: skip
# Inside a building (a flat, a stairwell) rather than somewhere in the compound.
BUILDING_SCENES = {"smoke", "door-open", "temperature", "sos"}
# Who answers for a point on the street (inside a compound: its property company).
STREET_DEPARTMENT = {
    "nonmotor-parking": "urban-management", "smoke": "market", "hydrant-pressure": "water",
    "noise": "environment", "waterlogging": "water", "fire-lane": "fire",
}  # fmt: skip
CODE_PREFIX = {
    "smoke": "YG", "door-open": "MC", "fire-lane": "XF", "hydrant-pressure": "SY", "temperature": "WG",
    "sos": "SOS", "nonmotor-parking": "FJ", "waterlogging": "JS", "noise": "ZS",
}  # fmt: skip
MAINTENANCE_SHARE = 0.004  # a few points are under maintenance, as in real life
REPORTED_MODELS: list[type[Model]] = [
    District, Street, Community, Grid, Compound, Building, Scene, SensorPoint, Department, User, DutyShift,
]  # fmt: skip


Quad = tuple[tuple[float, float], ...]  # SW, SE, NE, NW as (lng, lat)
AreaT = TypeVar("AreaT", Grid, Compound)
M = TypeVar("M", bound=Model)


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


@dataclass
class SeedReport:
    """Rows created by this run and rows of each kind in the database afterwards."""

    created: dict[type[Model], int] = field(default_factory=dict)
    total: dict[type[Model], int] = field(default_factory=dict)
    catalogue: bool = False  # cases.catalogue.ensure_default_catalogue() was called

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())


def _create_missing(
    model: type[M], rows: Iterable[M], existing: set[Any], key: Callable[[M], Any]
) -> list[M]:
    """bulk_create the rows whose natural key is not among the existing ones."""
    missing = [row for row in rows if key(row) not in existing]
    return model._default_manager.bulk_create(missing, batch_size=1000)


def _ensure_case_catalogue() -> bool:
    # The cases app provides the category catalogue; call it when it is there.
    if importlib.util.find_spec("cases.defaults") is None:
        return False
    catalogue = importlib.import_module("cases.defaults")
    ensure = getattr(catalogue, "ensure_default_catalogue", None)
    if ensure is None:
        return False
    ensure()
    return True


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
        report.catalogue = _ensure_case_catalogue()
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
