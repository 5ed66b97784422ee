"""Alarm rules, every threshold in one place: is a reading abnormal, is a scene's rule met (dwell and
repeat), when is a point offline, its battery low, an alarm flapping.

Times of day and months are those of the reading in the platform's time zone (Asia/Shanghai), so a
night limit applies to a noise reading taken at 23:00 local time whenever it is processed.
"""

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from typing import Protocol

from django.utils import timezone

from cases.models import Severity

from ..db import ReadingRow
from ..models import Reading, Scene

OFFLINE_HEARTBEATS = 3  # heartbeats missed in a row: offline
OFFLINE_SEVERITY = Severity.MINOR
LOW_BATTERY = 20  # percent: below raises "low battery"
LOW_BATTERY_CLEAR = 25  # percent: at or above clears it (hysteresis, so 19/20/19 does not flap)
LOW_BATTERY_SEVERITY = Severity.WARNING
FLAPPING_WINDOW = dt.timedelta(minutes=30)
FLAPPING_CHANGES = 2  # more state changes (raise or clear) than this in the window: flapping

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
    zone_thresholds: dict[str, dict[str, float]]
    night_starts: dt.time
    night_ends: dt.time
    active_from: dt.time | None
    active_until: dt.time | None
    active_months: list[int]


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


class RulePoint(Protocol):
    id: int
    abnormal_since: dt.datetime | None


def rule_met(
    point: RulePoint, scene: Scene, ts: dt.datetime, batch_readings: Sequence[ReadingRow] = ()
) -> bool:
    """Dwell ("for N seconds") and repeat ("N times in M seconds") of the scene, at reading time `ts`."""
    if point.abnormal_since is None or ts - point.abnormal_since < dt.timedelta(seconds=scene.dwell_seconds):
        return False
    if scene.repeat_count <= 1:
        return True
    start = ts - dt.timedelta(seconds=scene.repeat_window_seconds)
    in_batch = sum(
        1
        for r in batch_readings
        if r.point_id == point.id and r.abnormal and r.type == scene.sensor_type and start <= r.ts <= ts
    )
    stored = Reading.objects.filter(
        point_id=point.id, type=scene.sensor_type, abnormal=True, ts__gte=start, ts__lte=ts
    ).count()
    return in_batch + stored >= scene.repeat_count


def offline_after(received_at: dt.datetime, heartbeat_interval: int) -> dt.datetime:
    """When a point last heard at `received_at` counts as offline."""
    return received_at + dt.timedelta(seconds=OFFLINE_HEARTBEATS * heartbeat_interval)


def battery_low(battery: int) -> bool:
    return battery < LOW_BATTERY


def battery_recovered(battery: int) -> bool:
    return battery >= LOW_BATTERY_CLEAR


def flapping(changes_in_window: int) -> bool:
    """Whether a new alarm after this many raises and clears of its point and type in FLAPPING_WINDOW
    flaps (it counts as one more change)."""
    return changes_in_window + 1 > FLAPPING_CHANGES
