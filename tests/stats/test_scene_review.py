"""Scene review: the suggestion for each pattern of alarms, the figures per scene, and the one click."""

from collections import Counter
from datetime import time

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from devices.models import Alarm, Scene
from stats.periods import parse_week
from stats.scene_review import (
    KEEP,
    LIMIT_HOURS,
    RETIRE,
    TUNE,
    SceneFigures,
    noisy_hours,
    scene_figures,
    suggest,
)
from tests.devices.factories import SensorPointFactory, scene
from tests.factories import UserFactory

from .conftest import at, case

pytestmark = pytest.mark.django_db


def figures(alarms: int, false: int, *, false_hours=None, true_hours=None, cases: int = 0) -> SceneFigures:  # type: ignore[no-untyped-def]
    return SceneFigures(
        alarms=alarms,
        false_alarms=false,
        with_case=cases,
        false_hours=Counter(false_hours or {}),
        true_hours=Counter(true_hours or {}),
    )


def parking() -> Scene:
    return scene("nonmotor-parking")


def test_too_few_alarms_or_a_scene_switched_off_keep_it():
    assert suggest(parking(), figures(4, 4)).action == KEEP
    off = parking()
    off.enabled = False
    assert suggest(off, figures(40, 40)).action == KEEP


def test_mostly_false_alarms_retire_the_scene_and_say_why():
    suggestion = suggest(parking(), figures(50, 45, cases=2))
    assert suggestion.action == RETIRE
    assert "45 of 50 alarms (90%)" in suggestion.reason
    assert "2 became cases" in suggestion.reason


def test_few_false_alarms_keep_it():
    assert suggest(parking(), figures(20, 7)).action == KEEP  # 35 %


def test_false_alarms_at_night_limit_the_hours():
    night = {22: 4, 23: 4, 0: 3, 1: 1}
    day = {9: 5, 14: 5, 18: 4}
    suggestion = suggest(parking(), figures(26, 12, false_hours=night, true_hours=day))
    assert suggestion.action == LIMIT_HOURS
    # The 8 hours from 19:00 hold every false alarm and no real one; (18:00 holds them too, with real ones).
    assert noisy_hours(Counter(night), Counter(day)) == (19, 3)
    assert (suggestion.active_from, suggestion.active_until) == (time(3), time(19))


def test_false_alarms_at_every_hour_tune_the_dwell_time():
    spread = dict.fromkeys(range(0, 24, 2), 1)
    real = dict.fromkeys(range(1, 24, 2), 1)
    scene_ = parking()
    suggestion = suggest(scene_, figures(24, 12, false_hours=spread, true_hours=real))
    assert suggestion.action == TUNE
    assert suggestion.dwell_seconds == scene_.dwell_seconds + 120


def test_figures_per_scene_with_the_outcome_of_their_cases():
    point = SensorPointFactory(scene=parking())
    closed = case(status=Case.Status.CLOSED)
    rejected = case(status=Case.Status.REJECTED)
    drill = case(status=Case.Status.CLOSED, drill=True)
    for n, (false, case_id) in enumerate(
        [(True, None), (True, rejected.pk), (False, closed.pk), (False, drill.pk)]
    ):
        moment = at(f"2026-11-1{6 + n} 23:30")
        Alarm.objects.create(
            point=point, scene=point.scene, type=point.sensor_type, severity="major", first_seen=moment,
            last_seen=moment, raised_at=moment, cleared_at=moment, false_alarm=false, case_id=case_id,
        )  # fmt: skip
    found = scene_figures(Alarm.objects.all(), Case.objects.filter(drill=False), parse_week("2026-W47"))
    item = found[point.scene_id]
    assert (item.alarms, item.false_alarms, item.with_case) == (4, 2, 3)
    assert item.outcomes == Counter({"closed": 1, "rejected": 1})
    assert item.false_hours == Counter({23: 2})


def signed_in(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def noisy_parking() -> Scene:
    point = SensorPointFactory(scene=parking())
    now = timezone.now()
    for n in range(10):
        Alarm.objects.create(
            point=point, scene=point.scene, type=point.sensor_type, severity="major", first_seen=now,
            last_seen=now, raised_at=now, cleared_at=now, false_alarm=n < 9,
        )  # fmt: skip
    return point.scene


def test_the_review_page_shows_every_scene_and_offers_the_admin_one_click():
    noisy = noisy_parking()
    page = signed_in(User.Role.ADMIN).get("/stats/scenes/")
    assert page.status_code == 200
    html = page.content.decode()
    assert noisy.name in html
    assert f"/stats/scenes/{noisy.pk}/apply/" in html
    official = signed_in(User.Role.OFFICIAL).get("/stats/scenes/").content.decode()
    assert "/apply/" not in official


def test_the_admin_retires_a_noisy_scene_in_one_click():
    noisy = noisy_parking()
    response = signed_in(User.Role.ADMIN).post(f"/stats/scenes/{noisy.pk}/apply/", {"weeks": "4"})
    assert response.status_code == 302
    noisy.refresh_from_db()
    assert not noisy.enabled
    assert noisy.retired_at is not None


@pytest.mark.parametrize("role", [User.Role.OFFICIAL, User.Role.DISPATCHER, User.Role.GRID_WORKER])
def test_only_an_admin_acts_on_a_scene(role):
    noisy = noisy_parking()
    assert signed_in(role).post(f"/stats/scenes/{noisy.pk}/apply/").status_code == 403
    noisy.refresh_from_db()
    assert noisy.enabled


def test_field_roles_may_not_read_the_review():
    assert signed_in(User.Role.HANDLER).get("/stats/scenes/").status_code == 403
