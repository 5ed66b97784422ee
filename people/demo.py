"""Demo households, rentals, shops and people needing care for the demo street (invented names and
numbers). demo/seed.py calls seed_demo_people() after the geography exists; a second run adds nothing."""

import random
from datetime import date, datetime, time, timedelta
from io import BytesIO

from django.core.files.base import ContentFile
from django.db.models import Model
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from grids.models import Building, Grid

from . import services
from .models import (
    BuildingUnit,
    CarePerson,
    Contact,
    Flat,
    Household,
    Person,
    Rental,
    Shop,
    ShopInspection,
    ShopStaff,
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁沈任"
    "姚卢傅钟姜崔谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文斌海燕鹏宇晨"
    "欣怡子涵浩然思琪雨萱俊杰佳怡"
)
BUSINESSES = [
    ("便利店", "邻家便利"),
    ("餐饮", "老弄堂面馆"),
    ("理发", "发艺坊"),
    ("水果", "鲜果铺"),
    ("药店", "康民药房"),
    ("洗衣", "净衣洗衣店"),
    ("五金", "广中五金"),
    ("早餐", "阿婆早点"),
]
BUILDINGS_PER_GRID = 3
UNITS, FLOORS, FLATS_PER_FLOOR = 2, 5, 2
CARE_NEEDS = [
    ("elderly-living-alone", "独居，行动缓慢，敲门需大声", "氨氯地平片 每日一次"),
    ("elderly-without-family", "无子女，需每周送菜", "二甲双胍 每日两次"),
    ("disabled", "轮椅出行，楼道需保持畅通", ""),
    ("children-in-difficulty", "父母在外务工，随祖母生活", ""),
    ("seriously-ill", "透析每周三次，需协助预约车辆", "透析后注意血压"),
    ("mental-disorder", "按时服药，情绪波动时联系监护人", "奥氮平 每晚一次"),
    ("veterans", "退役军人，关注优待政策落实", ""),
    ("subsistence-allowance", "低保家庭，关注就业帮扶", ""),
]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "136", "158", "186", "177")) + f"{rng.randrange(10**8):08d}"


def _id_number(rng: random.Random, birth_year: int) -> str:
    """An invented number in the format (district 310109, birth date, sequence, check character)."""
    body = f"310109{birth_year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randrange(1000):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _door_photo(name: str, hue: int) -> ContentFile[bytes]:
    image = Image.new("RGB", (640, 400), (40 + hue % 120, 70, 110))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 30, 600, 110), fill=(180, 30, 40))
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 48)
    except OSError:  # no CJK font on this machine: the sign stays plain
        font = ImageFont.load_default()
    draw.text((70, 42), name, fill=(255, 230, 150), font=font)
    draw.rectangle((200, 150, 440, 390), fill=(210, 225, 235), outline=(20, 20, 20), width=6)
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="door.png")


def seed_demo_people(*, today: date) -> dict[type[Model], int]:
    """Units, flats, households, rentals, shops and care persons in the first buildings of every grid."""
    if BuildingUnit.objects.exists():
        return {}
    rng = random.Random(24)
    services.ensure_care_categories()
    created: dict[type[Model], int] = {}
    for grid in Grid.objects.prefetch_related("workers").order_by("code"):
        worker = grid.workers.order_by("username").first()
        buildings = Building.objects.filter(compound__grid=grid).order_by("compound__code", "id")[
            :BUILDINGS_PER_GRID
        ]
        for building in buildings:
            _seed_building(rng, building, today, worker, created)
        _seed_shops(rng, grid, today, worker, created)
    return created


def _count(created: dict[type[Model], int], model: type[Model], n: int = 1) -> None:
    created[model] = created.get(model, 0) + n


def _seed_building(rng: random.Random, building: Building, today: date, worker, created) -> None:  # type: ignore[no-untyped-def]
    for unit_number in range(1, UNITS + 1):
        unit = BuildingUnit.objects.create(building=building, name=f"{unit_number}单元")
        _count(created, BuildingUnit)
        for floor in range(1, FLOORS + 1):
            for door in range(1, FLATS_PER_FLOOR + 1):
                _seed_flat(rng, unit, floor, door, today, worker, created)


def _seed_flat(rng, unit, floor, door, today, worker, created) -> None:  # type: ignore[no-untyped-def]
    draw = rng.random()
    use = (
        Flat.Use.RENTED
        if draw < 0.35
        else Flat.Use.GROUP_RENTAL_SUSPECTED
        if draw < 0.38
        else Flat.Use.VACANT
        if draw < 0.45
        else Flat.Use.OWNER_OCCUPIED
    )
    flat = Flat.objects.create(
        unit=unit,
        room_number=f"{floor}0{door}",
        floor=floor,
        area_m2=rng.choice((42, 56, 68, 75, 89, 102)),
        use=use,
    )
    _count(created, Flat)
    if use in (Flat.Use.RENTED, Flat.Use.GROUP_RENTAL_SUSPECTED):
        ends = today + timedelta(days=rng.choice((5, 12, 21, 28, 45, 90, 150, 240, 320)))
        Rental.objects.create(
            flat=flat,
            tenant_name=_name(rng),
            tenant_phone=_phone(rng),
            tenant_count=rng.randint(5, 9) if use == Flat.Use.GROUP_RENTAL_SUSPECTED else rng.randint(1, 3),
            lease_start=ends - timedelta(days=365),
            lease_end=ends,
        )
        _count(created, Rental)
        return
    if use == Flat.Use.VACANT:
        return
    household = Household.objects.create(flat=flat, number=f"{unit.building.pk:04d}{flat.room_number}")
    _count(created, Household)
    surname = rng.choice(SURNAMES)
    for index in range(rng.randint(1, 3)):
        year = rng.randint(1940, 1995) if index == 0 else rng.randint(1945, 2015)
        name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        person = services.register_person(
            household=household,
            name=name,
            phone=_phone(rng),
            id_number=_id_number(rng, year),
            relation="户主" if index == 0 else rng.choice(("配偶", "子女", "父母")),
            birth_year=year,
        )
        _count(created, Person)
        if index == 0 and rng.random() < 0.12:
            _seed_care(rng, person, today, worker, created)


def _seed_care(rng, person, today, worker, created) -> None:  # type: ignore[no-untyped-def]
    code, needs, medicines = rng.choice(CARE_NEEDS)
    care_person = CarePerson.objects.create(person=person, worker=worker, needs=needs, medicines=medicines)
    CarePerson.objects.filter(pk=care_person.pk).update(since=timezone.now() - timedelta(days=120))
    care_person.categories.set(care_person.categories.model.objects.filter(code=code))
    Contact.objects.create(
        care_person=care_person,
        name=_name(rng),
        relation=rng.choice(("儿子", "女儿", "侄子")),
        phone=_phone(rng),
    )
    _count(created, CarePerson)
    if worker is None:
        return
    days_ago = rng.choice((1, 3, 6, 9, 16, 40))  # some are overdue: the worker's tasks show them
    visited_at = timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(10, 30)))
    services.record_visit(
        care_person=care_person, visitor=worker, visited_at=visited_at, note="身体状况良好，已提醒按时服药"
    )
    _count(created, CarePerson.visits.rel.related_model)


def _seed_shops(rng, grid, today, worker, created) -> None:  # type: ignore[no-untyped-def]
    compound = grid.compounds.order_by("code").first()
    for index, (business, name) in enumerate(rng.sample(BUSINESSES, 4)):
        expiry = today + timedelta(days=rng.choice((-5, 18, 120, 400, 700)))
        shop = Shop.objects.create(
            grid=grid,
            compound=compound,
            name=f"{name}（{grid.name}{index + 1}店）",
            business=business,
            address=f"广中路{rng.randint(1, 999)}号",
            lat=compound.centre_lat if compound else None,
            lng=compound.centre_lng if compound else None,
            contact_name=_name(rng),
            contact_phone=_phone(rng),
            licence_number=f"91310109MA1{rng.randrange(10**7):07d}",
            licence_expiry=expiry,
        )
        shop.door_photo.save("door.png", _door_photo(name, rng.randrange(255)), save=True)
        _count(created, Shop)
        for _staff in range(rng.randint(1, 3)):
            ShopStaff.objects.create(
                shop=shop,
                name=_name(rng),
                phone=_phone(rng),
                health_certificate_number=f"JK{rng.randrange(10**6):06d}",
                health_certificate_expiry=today + timedelta(days=rng.choice((-3, 10, 25, 200, 330))),
            )
        if worker is not None:
            ShopInspection.objects.create(
                shop=shop,
                inspector=worker,
                inspected_at=timezone.now() - timedelta(days=rng.randint(3, 60)),
                result=rng.choice(("passed", "passed", "rectify")),
                note="门前三包落实情况检查",
            )
