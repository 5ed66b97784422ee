"""The default scene catalogue (应用场景), loaded by `ensure_default_scenes()` (seed_demo, tests).

Admins tune or switch scenes off afterwards: rows are created once and never overwritten here.
`category` is the code of the case category (cases/catalogue.py) an alarm of the scene opens.
Thresholds follow the national standards quoted in DOMAIN.md (GB 50974-2014 hydrants, GB 3096-2008
noise); dwell times are the ones platforms settled on after residents complained (delivery riders).
"""

import datetime as dt
from typing import Any

from .models import Scene

# GB 3096-2008 limits in dB(A), day / night, per acoustic zone.
NOISE_ZONE_LIMITS = {
    "0": {"day": 50, "night": 40},
    "1": {"day": 55, "night": 45},
    "2": {"day": 60, "night": 50},
    "3": {"day": 65, "night": 55},
    "4a": {"day": 70, "night": 55},
    "4b": {"day": 70, "night": 60},
}

DEFAULT_SCENES: list[dict[str, Any]] = [
    {"code": "smoke", "name": "烟感报警", "name_en": "Smoke detector", "sensor_type": "smoke",
     "severity": "critical", "category": "fire-smoke",
     "comparison": "gte", "threshold": 1, "clear_after_seconds": 300,
     # 3 or more smoke alarms in one compound within 5 minutes: an emergency case (DESIGN.md).
     "cluster_points": 3, "cluster_window_seconds": 300, "cluster_category_code": "fire-emergency"},
    {"code": "temperature", "name": "温度异常", "name_en": "Temperature", "sensor_type": "temperature",
     "severity": "major", "category": "fire-temperature",
     "comparison": "gte", "threshold": 60, "repeat_count": 2, "repeat_window_seconds": 300,
     "clear_after_seconds": 600},
    {"code": "hydrant-pressure", "name": "消防栓水压", "name_en": "Hydrant water pressure",
     "sensor_type": "water_pressure", "severity": "major", "category": "hydrant-pressure",
     # GB 50974-2014: not below 0.10 MPa at the least favourable hydrant; per-point override allowed.
     "comparison": "lt", "threshold": 0.10, "dwell_seconds": 60, "clear_after_seconds": 600},
    {"code": "fire-lane", "name": "消防通道占用", "name_en": "Fire-lane occupancy",
     "sensor_type": "geomagnetic", "severity": "major", "category": "fire-lane",
     "comparison": "gte", "threshold": 1, "dwell_seconds": 600, "clear_after_seconds": 60},
    {"code": "nonmotor-parking", "name": "非机动车乱停放", "name_en": "Non-motor vehicle parking",
     "sensor_type": "geomagnetic", "severity": "minor", "category": "nonmotor-parking",
     "comparison": "gte", "threshold": 1, "dwell_seconds": 1800, "clear_after_seconds": 60,
     "active_from": dt.time(7, 0), "active_until": dt.time(22, 0)},
    {"code": "noise", "name": "噪声扰民", "name_en": "Noise", "sensor_type": "noise",
     "severity": "minor", "category": "noise",
     "comparison": "gt", "threshold": 55, "night_threshold": 45, "zone_thresholds": NOISE_ZONE_LIMITS,
     "dwell_seconds": 300, "clear_after_seconds": 300},
    {"code": "waterlogging", "name": "积水监测", "name_en": "Water level / waterlogging",
     "sensor_type": "water_level", "severity": "major", "category": "waterlogging",
     "comparison": "gte", "threshold": 15, "repeat_count": 2, "repeat_window_seconds": 600,
     "clear_after_seconds": 1800},
    {"code": "door-open", "name": "门未关闭", "name_en": "Door left open", "sensor_type": "door",
     "severity": "warning", "category": "door-open",
     "comparison": "gte", "threshold": 1, "dwell_seconds": 300, "clear_after_seconds": 0},
    {"code": "sos", "name": "一键求助", "name_en": "SOS button", "sensor_type": "sos",
     "severity": "critical", "category": "sos", "comparison": "gte", "threshold": 1},
]  # fmt: skip

# Device health alarms open maintenance cases of this category.
DEVICE_FAULT_CATEGORY = "device-fault"


def ensure_default_scenes() -> int:
    """Create the scenes that do not exist yet; returns how many were created."""
    existing = set(Scene.objects.values_list("code", flat=True))
    missing = []
    for row in DEFAULT_SCENES:
        if row["code"] in existing:
            continue
        fields = {key: value for key, value in row.items() if key != "category"}
        missing.append(Scene(case_category_code=row["category"], **fields))
    Scene.objects.bulk_create(missing)
    return len(missing)
