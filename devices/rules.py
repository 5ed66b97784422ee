"""Scene rules: is a reading abnormal? Pure functions of a scene, a point and a reading.

Times of day and months are those of the reading in the platform's time zone (Asia/Shanghai), so a
night limit applies to a noise reading taken at 23:00 local time whenever it is processed.
"""

import datetime as dt
import operator
from collections.abc import Callable
from typing import Protocol

from django.utils import timezone

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
}


class SceneLike(Protocol):
    enabled: bool
    retired_at: dt.datetime | None
    comparison: str
    threshold: float | None
    night_threshold: float | None
    zone_thresholds: dict
    night_starts: dt.time
    night_ends: dt.time
    active_from: dt.time | None
    active_until: dt.time | None
    active_months: list


class PointLike(Protocol):
    threshold: float | None
    acoustic_zone: str


def in_window(moment: dt.time, start: dt.time | None, end: dt.time | None) -> bool:
    """Is `moment` in [start, end)? The window may wrap past midnight; no bounds means all day."""
    if start is None and end is None:
        return True
    start = start or dt.time.min
    end = end or dt.time.max
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def scene_active(scene: SceneLike, local: dt.datetime) -> bool:
    if not scene.enabled or scene.retired_at is not None:
        return False
    if scene.active_months and local.month not in scene.active_months:
        return False
    return in_window(local.time(), scene.active_from, scene.active_until)


def threshold_for(scene: SceneLike, point: PointLike, local: dt.datetime) -> float | None:
    """The point's own threshold, else its acoustic zone's day/night limit, else the scene's."""
    if point.threshold is not None:
        return point.threshold
    night = in_window(local.time(), scene.night_starts, scene.night_ends)
    zone = scene.zone_thresholds.get(point.acoustic_zone) if point.acoustic_zone else None
    if zone:
        limit = zone.get("night" if night else "day")
        if limit is not None:
            return float(limit)
    if night and scene.night_threshold is not None:
        return scene.night_threshold
    return scene.threshold


def is_abnormal(scene: SceneLike, point: PointLike, value: float, ts: dt.datetime) -> bool:
    # The platform's zone, not the current one: a rule's hours do not depend on who is logged in (and
    # the current zone is a thread-local lookup, ~10 µs a reading).
    local = ts.astimezone(timezone.get_default_timezone())
    if not scene_active(scene, local):
        return False
    limit = threshold_for(scene, point, local)
    if limit is None:
        return False
    return COMPARE[scene.comparison](value, limit)
