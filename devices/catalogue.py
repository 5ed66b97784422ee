"""The default scene catalogue (应用场景), loaded by `ensure_default_scenes()` (seed_demo, tests).

Admins tune or switch scenes off afterwards: rows are created once and never overwritten here.
`category` is the code of the case category (cases/catalogue.py) an alarm of the scene opens.
"""

from typing import Any

DEFAULT_SCENES: list[dict[str, Any]] = [
    {"code": "smoke", "name": "烟感报警", "name_en": "Smoke detector", "sensor_type": "smoke",
     "severity": "critical", "category": "fire-smoke"},
    {"code": "temperature", "name": "温度异常", "name_en": "Temperature", "sensor_type": "temperature",
     "severity": "major", "category": "fire-temperature"},
    {"code": "hydrant-pressure", "name": "消防栓水压", "name_en": "Hydrant water pressure",
     "sensor_type": "water_pressure", "severity": "major", "category": "hydrant-pressure"},
    {"code": "fire-lane", "name": "消防通道占用", "name_en": "Fire-lane occupancy",
     "sensor_type": "geomagnetic", "severity": "major", "category": "fire-lane"},
    {"code": "nonmotor-parking", "name": "非机动车乱停放", "name_en": "Non-motor vehicle parking",
     "sensor_type": "geomagnetic", "severity": "minor", "category": "nonmotor-parking"},
    {"code": "noise", "name": "噪声扰民", "name_en": "Noise", "sensor_type": "noise",
     "severity": "minor", "category": "noise"},
    {"code": "waterlogging", "name": "积水监测", "name_en": "Water level / waterlogging",
     "sensor_type": "water_level", "severity": "major", "category": "waterlogging"},
    {"code": "door-open", "name": "门未关闭", "name_en": "Door left open", "sensor_type": "door",
     "severity": "warning", "category": "door-open"},
    {"code": "sos", "name": "一键求助", "name_en": "SOS button", "sensor_type": "sos",
     "severity": "critical", "category": "sos"},
]  # fmt: skip


def ensure_default_scenes() -> int:
    """Create the scenes that do not exist yet; returns how many were created."""
    from .models import Scene

    existing = set(Scene.objects.values_list("code", flat=True))
    missing = [
        Scene(
            code=row["code"],
            name=row["name"],
            name_en=row["name_en"],
            sensor_type=row["sensor_type"],
            severity=row["severity"],
            case_category_code=row["category"],
        )
        for row in DEFAULT_SCENES
        if row["code"] not in existing
    ]
    Scene.objects.bulk_create(missing)
    return len(missing)
