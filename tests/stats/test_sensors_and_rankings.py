"""Sensor KPIs per scene and of the points; rankings and the overdue list; filters and who sees what."""

from datetime import timedelta

import pytest

from accounts.models import User
from cases.models import Case
from devices.models import Alarm, SensorPoint
from stats import rankings, sensors
from stats.filters import counted_cases, district_cases
from stats.periods import parse_week
from stats.selectors import weekday_hour_counts
from tests.devices.factories import SensorPointFactory, scene
from tests.factories import CompoundFactory, DepartmentFactory, UserFactory

from .conftest import at, case

pytestmark = pytest.mark.django_db
S = Case.Status
WEEK = parse_week("2026-W47")


def alarm(point: SensorPoint, when: str, **fields) -> Alarm:  # type: ignore[no-untyped-def]
    moment = at(when)
    defaults = {"scene": point.scene, "type": point.sensor_type, "severity": "major"}
    return Alarm.objects.create(  # type: ignore[no-any-return]
        point=point,
        first_seen=moment,
        last_seen=moment,
        raised_at=moment,
        cleared_at=moment,
        **{**defaults, **fields},
    )


def test_alarms_false_alarms_and_cases_per_scene():
    smoke = SensorPointFactory()
    parking = SensorPointFactory(scene=scene("nonmotor-parking"))
    alarm(smoke, "2026-11-16 10:00", case_id=1)
    alarm(smoke, "2026-11-17 10:00", false_alarm=True)
    for day in (16, 17, 18, 19):
        alarm(parking, f"2026-11-{day} 10:00", false_alarm=day != 19, case_id=day if day == 19 else None)
    alarm(parking, "2026-11-23 10:00")  # next week
    alarm(smoke, "2026-11-18 10:00", type=Alarm.OFFLINE)  # device health, not the scene's
    rows = sensors.scene_alarms(Alarm.objects.all(), WEEK)
    assert [(r["scene"], r["alarms"], r["false_alarms"], r["with_case"]) for r in rows] == [
        ("nonmotor-parking", 4, 3, 1),
        ("smoke", 2, 1, 1),
    ]
    assert rows[0]["false_alarm_rate"] == 0.75
    assert rows[1]["alarm_to_case_rate"] == 0.5
    totals = sensors.alarm_totals(Alarm.objects.all(), WEEK)
    assert (totals["alarms"], totals["false_alarm_rate"], totals["alarm_to_case_rate"]) == (6, 4 / 6, 2 / 6)


def test_offline_and_low_battery_points_and_no_points():
    now = at("2026-11-20 10:00")
    empty = sensors.point_health(SensorPoint.objects.all(), now)
    assert (empty["points"], empty["offline_rate"], empty["low_battery_rate"]) == (0, None, None)
    SensorPointFactory(offline_after=now - timedelta(minutes=1), battery=10)
    SensorPointFactory(offline_after=now + timedelta(minutes=1), battery=20)
    SensorPointFactory(offline_after=now + timedelta(minutes=1), battery=None)
    SensorPointFactory(offline_after=now - timedelta(days=1), status=SensorPoint.Status.RETIRED)
    health = sensors.point_health(SensorPoint.objects.all(), now)
    assert (health["points"], health["offline"], health["low_battery"]) == (3, 1, 1)
    assert health["offline_rate"] == pytest.approx(1 / 3)


def test_rankings_order_the_best_first_and_carry_the_filter_code():
    good, bad = CompoundFactory(), CompoundFactory()
    filed = at("2026-11-16 09:00")
    case(compound=good, filed_at=filed, status=S.CLOSED, closed_at=at("2026-11-17 09:00"))
    case(compound=good, filed_at=filed, status=S.CLOSED, closed_at=at("2026-11-17 09:00"))
    case(compound=bad, filed_at=filed, status=S.CLOSED, closed_at=at("2026-11-17 09:00"), ever_overdue=True)
    case(compound=bad, filed_at=filed, status=S.DISPATCHED, overdue=True)
    case(compound=bad, created_at=at("2026-10-01 09:00"))  # outside the week: not a row of its own
    rows = rankings.ranking(district_cases().cases, WEEK, "community")
    assert [r["code"] for r in rows] == [good.community.code, bad.community.code]
    assert (rows[0]["close_rate"], rows[0]["on_time_close_rate"], rows[0]["overdue"]) == (1.0, 1.0, 0)
    assert (rows[1]["due"], rows[1]["close_rate"], rows[1]["on_time_close_rate"], rows[1]["overdue"]) == (
        2,
        0.5,
        0.0,
        1,
    )
    assert rows[1]["reported"] == 2


def test_the_overdue_list_is_longest_overdue_first():
    later = case(status=S.DISPATCHED, overdue=True, deadline=at("2026-11-20 10:00"))
    earlier = case(status=S.IN_PROGRESS, overdue=True, deadline=at("2026-11-19 10:00"))
    case(status=S.CLOSED, overdue=True, deadline=at("2026-11-18 10:00"))
    case(status=S.DISPATCHED, overdue=True, deadline=at("2026-11-18 10:00"), drill=True)
    assert [row["id"] for row in rankings.overdue_list(district_cases().cases)] == [earlier.pk, later.pk]


def test_filters_narrow_by_code_and_a_handler_sees_only_their_department():
    water = DepartmentFactory(code="water")
    one = case(department=water, source=Case.Source.HOTLINE, severity="major")
    other = case()
    assert list(district_cases({"department": "water"}).cases) == [one]
    assert list(district_cases({"source": "hotline", "severity": "major"}).cases) == [one]
    assert list(district_cases({"community": other.community.code}).cases) == [other]
    assert list(district_cases({"category": one.category.code}).cases) == [one]
    assert list(district_cases({"grid": "nope"}).cases) == []
    handler = UserFactory(role=User.Role.HANDLER, department=water)
    assert list(counted_cases(handler).cases) == [one]
    assert set(counted_cases(UserFactory(role=User.Role.DISPATCHER)).cases) == {one, other}


def test_the_heat_map_counts_reports_by_local_weekday_and_hour():
    case(created_at=at("2026-11-16 09:10"))  # Monday 09:00, Shanghai time
    case(created_at=at("2026-11-16 09:50"))
    case(created_at=at("2026-11-22 23:59"))  # Sunday 23:00
    case(created_at=at("2026-11-23 00:00"))  # the next week
    cells = sorted(weekday_hour_counts(district_cases(), WEEK))
    assert cells == [[9, 0, 2], [23, 6, 1]]
