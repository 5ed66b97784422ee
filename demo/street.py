"""The demo street: a street modelled on Guangzhong Road (广中路街道, Hongkou, Shanghai).

Its public figures: 2.89 km², 137 compounds, 9,165 sensor points, of which 8,235
inside compounds and 930 on the street. `demo.plan.build_plan()` computes everything from a fixed random seed
without touching the database (same codes and coordinates every time); `demo.seed.seed_demo()` writes the rows
that do not exist yet, so a second run creates nothing and changes nothing.

Geometry: the street is a 6 × 3 lattice of slightly jittered quadrilaterals (the 18 grids, one column
of three per community), so neighbouring grids share their edges exactly and never overlap. A compound
is a sub-rectangle of its grid in the grid's bilinear (u, v) coordinates; lines of constant u or v are
straight in a bilinear quad, so the compound is a quadrilateral inside its (convex) grid.
"""

from datetime import time
from zoneinfo import ZoneInfo

from accounts.models import Department

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
