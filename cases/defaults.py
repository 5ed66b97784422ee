"""The default case catalogue (seed data): categories (大类/小类), the work calendar and escalation policies.

`ensure_default_catalogue()` is idempotent: it creates what is missing and never overwrites a row, so
admins tune the catalogue in the admin afterwards. Limits are minutes for the urgent and work-hour
clocks and days for the work-day and natural-day clocks (models.Category).
"""

from datetime import date, timedelta
from typing import Any

from django.db import transaction

from .models import (
    CalendarDay,
    CalendarYear,
    Category,
    EscalationPolicy,
    EscalationStep,
    WorkCalendar,
)

MAJOR_CATEGORIES: list[dict[str, Any]] = [
    {"code": "facilities", "name": "公用设施", "name_en": "Public facilities", "kind": "component"},
    {"code": "road-traffic", "name": "道路交通", "name_en": "Roads and traffic", "kind": "component"},
    {"code": "greenery", "name": "园林绿化", "name_en": "Landscaping", "kind": "component"},
    {"code": "appearance", "name": "市容环境", "name_en": "City appearance", "kind": "event"},
    {"code": "street-order", "name": "街面秩序", "name_en": "Street order", "kind": "event"},
    {"code": "public-safety", "name": "公共安全/火情", "name_en": "Public safety and fire", "kind": "event"},
    {"code": "community", "name": "社区治理", "name_en": "Community affairs", "kind": "event"},
    {"code": "equipment", "name": "设备运维", "name_en": "IoT equipment", "kind": "event"},
]

# (file, dispatch, handle, verify) limits, in the clock's unit.
MINOR_CATEGORIES: list[dict[str, Any]] = [
    # 公用设施
    {"code": "hydrant-pressure", "parent": "facilities", "name": "消防栓水压不足",
     "name_en": "Hydrant pressure low",
     "severity": "major", "dept": "water", "fallback": "fire", "auto": True, "evidence": "none",
     "clock": "urgent", "limits": (5, 10, 240, 60), "sensor_normal": 10},
    {"code": "manhole-cover", "parent": "facilities", "name": "井盖破损或缺失",
     "name_en": "Damaged or missing manhole cover", "severity": "major", "dept": "urban_management",
     "evidence": "before_after", "clock": "work_hours", "limits": (60, 30, 120, 240)},
    {"code": "streetlight", "parent": "facilities", "name": "路灯不亮", "name_en": "Street light out",
     "severity": "minor", "dept": "urban_management", "clock": "work_days", "limits": (1, 1, 2, 1)},
    # 道路交通
    {"code": "road-damage", "parent": "road-traffic", "name": "道路破损", "name_en": "Damaged road surface",
     "severity": "minor", "dept": "urban_management", "clock": "work_days", "limits": (1, 1, 3, 1)},
    {"code": "fire-lane", "parent": "road-traffic", "name": "消防通道占用", "name_en": "Fire lane blocked",
     "severity": "major", "dept": "property", "fallback": "urban_management", "auto": True,
     "clock": "urgent", "limits": (5, 10, 30, 60)},
    {"code": "nonmotor-parking", "parent": "road-traffic", "name": "非机动车乱停放",
     "name_en": "Non-motor vehicles parked in disorder", "severity": "minor", "dept": "property",
     "fallback": "urban_management", "grid_worker": True, "auto": True, "clock": "work_hours",
     "limits": (60, 30, 120, 240)},
    # 园林绿化
    {"code": "green-damage", "parent": "greenery", "name": "绿地损毁", "name_en": "Damaged green space",
     "severity": "minor", "dept": "urban_management", "clock": "work_days", "limits": (1, 1, 5, 1)},
    # 市容环境
    {"code": "exposed-garbage", "parent": "appearance", "name": "暴露垃圾", "name_en": "Exposed garbage",
     "severity": "minor", "dept": "urban_management", "fallback": "property", "clock": "work_hours",
     "limits": (60, 30, 240, 240)},
    {"code": "dirty-road", "parent": "appearance", "name": "道路不洁", "name_en": "Dirty road",
     "severity": "minor", "dept": "urban_management", "clock": "work_hours", "limits": (60, 30, 180, 240)},
    {"code": "waterlogging", "parent": "appearance", "name": "积水影响通行", "name_en": "Waterlogging",
     "severity": "major", "dept": "water", "fallback": "urban_management", "auto": True,
     "clock": "urgent", "limits": (5, 10, 240, 120)},
    {"code": "construction-waste", "parent": "appearance", "name": "渣土堆积",
     "name_en": "Construction waste",
     "severity": "minor", "dept": "urban_management", "clock": "work_hours", "limits": (60, 30, 240, 240)},
    # 街面秩序
    {"code": "street-vending", "parent": "street-order", "name": "占道经营", "name_en": "Street vending",
     "severity": "minor", "dept": "urban_management", "clock": "work_hours", "limits": (60, 30, 120, 240)},
    {"code": "illegal-structure", "parent": "street-order", "name": "私搭乱建",
     "name_en": "Illegal structure",
     "severity": "major", "dept": "urban_management", "evidence": "before_after", "clock": "work_days",
     "limits": (1, 1, 7, 2)},
    {"code": "bike-clutter", "parent": "street-order", "name": "非机动车乱停放",
     "name_en": "Bicycles parked in the way", "severity": "minor", "dept": "urban_management",
     "evidence": "after", "clock": "work_hours", "limits": (60, 30, 120, 240)},
    {"code": "noise", "parent": "street-order", "name": "噪声扰民", "name_en": "Noise disturbance",
     "severity": "minor", "dept": "urban_management", "fallback": "environment", "grid_worker": True,
     "auto": True, "evidence": "none", "clock": "urgent", "limits": (10, 10, 60, 120)},
    # 公共安全/火情
    {"code": "fire-smoke", "parent": "public-safety", "name": "烟感报警", "name_en": "Smoke alarm",
     "severity": "major", "dept": "property", "fallback": "fire", "auto": True, "clock": "urgent",
     "limits": (5, 5, 15, 60)},
    {"code": "fire-temperature", "parent": "public-safety", "name": "温度异常", "name_en": "High temperature",
     "severity": "major", "dept": "property", "fallback": "fire", "auto": True, "clock": "urgent",
     "limits": (5, 5, 30, 60)},
    {"code": "fire-emergency", "parent": "public-safety", "name": "火情紧急（多点烟感）",
     "name_en": "Fire emergency (smoke cluster)", "severity": "critical", "dept": "property",
     "fallback": "fire",
     "auto": True, "clock": "urgent", "limits": (1, 1, 30, 60)},
    {"code": "sos", "parent": "public-safety", "name": "一键求助", "name_en": "SOS call",
     "severity": "critical",
     "dept": "street", "grid_worker": True, "auto": True, "evidence": "none", "clock": "urgent",
     "limits": (1, 2, 15, 60)},
    {"code": "door-open", "parent": "public-safety", "name": "单元门未关闭", "name_en": "Door left open",
     "severity": "warning", "dept": "property", "auto": True, "evidence": "none", "clock": "urgent",
     "limits": (10, 10, 60, 120)},
    # 社区治理
    {"code": "illegal-renovation", "parent": "community", "name": "违规装修",
     "name_en": "Unauthorised renovation",
     "severity": "minor", "dept": "housing", "fallback": "urban_management", "grid_worker": True,
     "evidence": "before_after", "clock": "work_days", "limits": (1, 1, 3, 1)},
    {"code": "group-rental", "parent": "community", "name": "群租", "name_en": "Group renting",
     "severity": "minor", "dept": "housing", "fallback": "police", "grid_worker": True, "clock": "work_days",
     "limits": (1, 1, 5, 2)},
    # 设备运维
    {"code": "device-fault", "parent": "equipment", "name": "设备故障", "name_en": "Device fault or offline",
     "severity": "minor", "dept": "other", "fallback": "street", "auto": True, "clock": "work_days",
     "limits": (1, 1, 2, 1)},
]  # fmt: skip

# Codes the sensors use (devices' scene catalogue): they must exist.
SENSOR_CATEGORY_CODES = (
    "fire-smoke", "fire-temperature", "fire-emergency", "hydrant-pressure", "fire-lane", "nonmotor-parking",
    "noise", "waterlogging", "door-open", "sos", "device-fault",
)  # fmt: skip


def _days(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


# (name, holiday from, holiday to, make-up workdays). Check every year against the State Council's notice.
HOLIDAYS: dict[int, dict[str, Any]] = {
    2026: {
        "source": "国办发明电〔2025〕7号 (entered from memory: check against the notice)",
        "days": [
            ("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"]),
            ("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
            ("清明节", "2026-04-04", "2026-04-06", []),
            ("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"]),
            ("端午节", "2026-06-19", "2026-06-21", []),
            ("中秋节", "2026-09-25", "2026-09-27", []),
            ("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
        ],
    },
    2027: {
        "source": "Estimate from the holiday rules (国务院令第798号), not the notice: replace when published",
        "days": [
            ("元旦", "2027-01-01", "2027-01-03", []),
            ("春节", "2027-02-05", "2027-02-13", ["2027-01-31", "2027-02-20"]),
            ("清明节", "2027-04-03", "2027-04-05", []),
            ("劳动节", "2027-05-01", "2027-05-05", ["2027-05-08"]),
            ("端午节", "2027-06-09", "2027-06-09", []),
            ("中秋节", "2027-09-15", "2027-09-15", []),
            ("国庆节", "2027-10-01", "2027-10-07", ["2027-09-26", "2027-10-09"]),
        ],
    },
}

# (position, anchor, after minutes, target, channels, until)
POLICIES: list[dict[str, Any]] = [
    {"code": "default", "name": "默认：超时督办", "category": None, "repeat": 2, "every": 30, "steps": [
        (1, "overdue", 0, "assignee", ["in_app"], "closed"),
        (2, "overdue", 30, "duty_chief", ["in_app", "sms"], "closed"),
        (3, "overdue", 120, "street_leader", ["in_app"], "closed"),
    ]},
    {"code": "fire-smoke", "name": "烟感报警：物业核查", "category": "fire-smoke", "repeat": 2, "every": 5,
     "steps": [
        (1, "start", 0, "department", ["in_app", "sms"], "accepted"),
        (2, "start", 0, "grid_worker", ["in_app"], "accepted"),
        (3, "overdue", 0, "community_secretary", ["sms", "voice"], "closed"),
        (4, "overdue", 15, "duty_chief", ["voice"], "closed"),
    ]},
    {"code": "fire-emergency", "name": "火情紧急：书记与街道领导", "category": "fire-emergency", "repeat": 0,
     "every": 15, "steps": [
        (1, "start", 0, "department", ["in_app", "sms"], "closed"),
        (2, "start", 0, "community_secretary", ["voice", "sms"], "closed"),
        (3, "start", 0, "duty_chief", ["in_app"], "closed"),
        (4, "start", 30, "street_leader", ["in_app", "sms"], "closed"),
    ]},
    {"code": "sos", "name": "一键求助", "category": "sos", "repeat": 3, "every": 5, "steps": [
        (1, "start", 0, "grid_worker", ["in_app", "voice"], "accepted"),
        (2, "start", 5, "community_secretary", ["voice", "sms"], "accepted"),
        (3, "overdue", 0, "duty_chief", ["in_app", "sms"], "closed"),
    ]},
    {"code": "hydrant-pressure", "name": "消防栓水压", "category": "hydrant-pressure", "repeat": 1,
     "every": 30, "steps": [
        (1, "start", 0, "department", ["in_app", "sms"], "accepted"),
        (2, "overdue", 0, "duty_chief", ["in_app", "sms"], "closed"),
        (3, "overdue", 60, "street_leader", ["in_app"], "closed"),
    ]},
    {"code": "waterlogging", "name": "积水", "category": "waterlogging", "repeat": 1, "every": 30, "steps": [
        (1, "start", 0, "department", ["in_app", "sms"], "accepted"),
        (2, "overdue", 0, "duty_chief", ["in_app", "sms"], "closed"),
    ]},
]  # fmt: skip


def _ensure_categories() -> None:
    existing = set(Category.objects.values_list("code", flat=True))
    for order, row in enumerate(MAJOR_CATEGORIES):
        if row["code"] not in existing:
            Category.objects.create(
                code=row["code"],
                name=row["name"],
                name_en=row["name_en"],
                kind=row["kind"],
                sort_order=order * 100,
            )
    parents = {c.code: c for c in Category.objects.filter(parent__isnull=True)}
    for order, row in enumerate(MINOR_CATEGORIES):
        if row["code"] in existing:
            continue
        parent = parents.get(row["parent"])
        file_limit, dispatch_limit, handle_limit, verify_limit = row["limits"]
        Category.objects.create(
            parent=parent,
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            kind=parent.kind if parent else Category.Kind.EVENT,
            severity=row["severity"],
            default_department_kind=row.get("dept", ""),
            fallback_department_kind=row.get("fallback", ""),
            assign_grid_worker=row.get("grid_worker", False),
            auto_file=row.get("auto", False),
            auto_dispatch=row.get("auto", False),
            evidence_required=row.get("evidence", Category.Evidence.AFTER),
            clock_type=row["clock"],
            file_limit=file_limit,
            dispatch_limit=dispatch_limit,
            handle_limit=handle_limit,
            verify_limit=verify_limit,
            verify_sensor_normal_minutes=row.get("sensor_normal", 0),
            sort_order=(parent.sort_order if parent else 0) + order + 1,
        )


def _ensure_calendar() -> None:
    calendar, _created = WorkCalendar.objects.get_or_create(code="default", defaults={"name": "工作日历"})
    for year, spec in HOLIDAYS.items():
        if CalendarYear.objects.filter(calendar=calendar, year=year).exists():
            continue
        row = CalendarYear.objects.create(calendar=calendar, year=year, checked=False, source=spec["source"])
        days: list[CalendarDay] = []
        for name, first, last, workdays in spec["days"]:
            days += [
                CalendarDay(year=row, date=day, kind=CalendarDay.Kind.HOLIDAY, name=name)
                for day in _days(first, last)
            ]
            days += [
                CalendarDay(
                    year=row, date=date.fromisoformat(day), kind=CalendarDay.Kind.WORKDAY, name=f"{name}调休"
                )
                for day in workdays
            ]
        CalendarDay.objects.bulk_create(days)


def _ensure_policies() -> None:
    existing = set(EscalationPolicy.objects.values_list("code", flat=True))
    categories = {c.code: c for c in Category.objects.all()}
    for row in POLICIES:
        if row["code"] in existing:
            continue
        category = categories.get(row["category"]) if row["category"] else None
        if row["category"] and category is None:
            continue
        policy = EscalationPolicy.objects.create(
            code=row["code"],
            name=row["name"],
            category=category,
            repeat_limit=row["repeat"],
            repeat_every_minutes=row["every"],
        )
        EscalationStep.objects.bulk_create(
            EscalationStep(
                policy=policy, position=position, anchor=anchor, after_minutes=after, target=target,
                channels=channels, until=until,
            )
            for position, anchor, after, target, channels, until in row["steps"]
        )  # fmt: skip


def ensure_default_catalogue() -> None:
    """Create the default categories, calendar (2026, 2027) and escalation policies that are missing."""
    with transaction.atomic():
        _ensure_categories()
        _ensure_calendar()
        _ensure_policies()
