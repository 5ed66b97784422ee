"""Scene rules: thresholds, per-point override, acoustic zones by day and night, active hours and months."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from devices.alarms.rules import in_window, is_abnormal, scene_active, threshold_for
from devices.catalogue import DEFAULT_SCENES
from devices.models import Scene, SensorPoint

SHANGHAI = ZoneInfo("Asia/Shanghai")


def default_scene(code: str, **changes: object) -> Scene:
    row = next(r for r in DEFAULT_SCENES if r["code"] == code)
    fields = {k: v for k, v in row.items() if k != "category"}
    fields.update(changes)
    return Scene(**fields)


def at(hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, 21, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "start", "end", "inside"),
    [
        (dt.time(12), None, None, True),
        (dt.time(7), dt.time(7), dt.time(22), True),
        (dt.time(22), dt.time(7), dt.time(22), False),
        (dt.time(23), dt.time(22), dt.time(6), True),
        (dt.time(5, 59), dt.time(22), dt.time(6), True),
        (dt.time(6), dt.time(22), dt.time(6), False),
        (dt.time(12), dt.time(22), dt.time(6), False),
        (dt.time(3), None, dt.time(6), True),
        (dt.time(3), dt.time(6), None, False),
    ],
)
def test_time_windows_may_wrap_midnight(moment, start, end, inside):
    assert in_window(moment, start, end) is inside


def test_smoke_one_is_abnormal_zero_is_not():
    smoke, point = default_scene("smoke"), SensorPoint()
    assert is_abnormal(smoke, point, 1.0, at(3))
    assert not is_abnormal(smoke, point, 0.0, at(3))


def test_hydrant_below_0_10_mpa_and_a_point_may_have_its_own_threshold():
    hydrant = default_scene("hydrant-pressure")
    assert is_abnormal(hydrant, SensorPoint(), 0.09, at(10))
    assert not is_abnormal(hydrant, SensorPoint(), 0.10, at(10))
    own = SensorPoint(threshold=0.14)  # GB 50974: normal network pressure not below 0.14 MPa
    assert is_abnormal(hydrant, own, 0.12, at(10))


@pytest.mark.parametrize(
    ("zone", "hour", "value", "abnormal"),
    [
        ("1", 12, 55.0, False),
        ("1", 12, 55.1, True),
        ("1", 23, 45.5, True),
        ("1", 5, 44.0, False),
        ("4a", 12, 69.0, False),
        ("4a", 23, 56.0, True),
        ("", 12, 56.0, True),  # no zone: the scene's day threshold 55
        ("", 23, 46.0, True),  # and its night threshold 45
        ("", 21, 46.0, False),
    ],
)
def test_noise_limits_by_acoustic_zone_day_and_night(zone, hour, value, abnormal):
    noise = default_scene("noise")
    assert is_abnormal(noise, SensorPoint(acoustic_zone=zone), value, at(hour)) is abnormal


def test_reading_time_is_taken_in_shanghai_whatever_the_offset():
    noise = default_scene("noise")
    utc_15 = dt.datetime(2026, 11, 21, 15, 0, tzinfo=dt.UTC)  # 23:00 in Shanghai: night
    assert threshold_for(noise, SensorPoint(acoustic_zone="2"), utc_15.astimezone(SHANGHAI)) == 50
    assert is_abnormal(noise, SensorPoint(acoustic_zone="2"), 51.0, utc_15)


def test_active_hours_months_and_switches():
    parking = default_scene("nonmotor-parking")  # 07:00-22:00
    assert scene_active(parking, at(8))
    assert not scene_active(parking, at(23))
    assert not is_abnormal(parking, SensorPoint(), 1.0, at(23))
    rainy = default_scene("waterlogging", active_months=[6, 7, 8, 9])
    assert not scene_active(rainy, at(12, month=11))
    assert scene_active(rainy, at(12, month=7))
    assert not scene_active(default_scene("smoke", enabled=False), at(12))
    assert not scene_active(default_scene("smoke", retired_at=at(1)), at(12))


def test_a_scene_without_threshold_raises_nothing():
    assert not is_abnormal(default_scene("smoke", threshold=None), SensorPoint(), 1.0, at(12))
