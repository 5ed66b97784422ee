"""The five behaviours of issue 4 from real compounds, against the real PostgreSQL, Redis and Celery.

The worker is a real `celery worker` process on the test database (tests/conftest.py); tasks are enqueued
after commit, the sweep runs as the beat would run it (`cases.tasks.sweep_deadlines`, with `at` to stand
for "30 minutes later"), notifications are delivered by the worker and their frames reach the user's
group through the Redis channel layer.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, Notification, NotificationAttempt
from cases.photos import PhotoUpload
from cases.services import create_case, note_sensor_normal, open_case_from_alarm, rate_case
from cases.services import sweep_deadlines as sweep_deadlines_now
from cases.tasks import sweep_deadlines
from cases.workflow import IllegalTransition, apply_transition
from command_center.realtime import user_group
from tests.cases.conftest import JPEG, make_place
from tests.cases.realtime import GroupListener

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_until(predicate, timeout: float = 30.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def sent_to(user, channel: str, case_id: int):  # type: ignore[no-untyped-def]
    return Notification.objects.filter(case_id=case_id, recipient=user, channel=channel, status="sent")


def sweep_at(moment) -> None:  # type: ignore[no-untyped-def]
    """The beat's job, run by the worker, as if it were `moment`."""
    sweep_deadlines.delay(at=moment.isoformat())


def alarm(place, **fields) -> int:  # type: ignore[no-untyped-def]
    values = {
        "source_key": "alarm:1", "category_code": "fire-smoke", "severity": "critical", "title": "烟感报警 3号楼",
        "description": "smoke=1", "lat": place.compound.centre_lat, "lng": place.compound.centre_lng,
        "grid_id": place.grid.pk, "compound_id": place.compound.pk, "occurred_at": timezone.now(),
        "sensor_code": "SMK-0001",
    }  # fmt: skip
    values.update(fields)
    return open_case_from_alarm(**values)


@pytest.fixture
def street(celery_worker_process):  # type: ignore[no-untyped-def]
    from cases.defaults import ensure_default_catalogue

    ensure_default_catalogue()
    return make_place()


def test_a_one_smoke_alarm_goes_to_the_property_company_with_15_minutes(street) -> None:  # type: ignore[no-untyped-def]
    with GroupListener(user_group(street.property_handler.pk)) as socket:
        case_id = alarm(street)
        case = Case.objects.get(pk=case_id)
        assert (case.status, case.department) == ("dispatched", street.property_company)
        events = list(case.events.order_by("id").values_list("action", "actor_role"))
        assert events[:3] == [("create", "system"), ("file", "system"), ("dispatch", "system")]
        # Nobody reviewed it; its steps due at once fired as it opened (escalate, by the system too).
        assert {action for action, _ in events[3:]} == {"escalate"}
        assert {role for _, role in events} == {"system"}
        assert case.deadline - case.dispatched_at == timedelta(minutes=15)
        # The worker notifies the property company: in-app to their socket, and an SMS.
        frame = socket.wait_for(lambda m: m.get("event") == "notification.created")
        assert frame["data"]["case"] == case_id
    wait_until(lambda: sent_to(street.property_handler, "sms", case_id).exists(), what="the SMS")
    assert NotificationAttempt.objects.filter(notification__case_id=case_id, ok=True).count() >= 2
    # Nobody accepted within 15 minutes: the sweep marks it overdue and the community secretary is told.
    sweep_at(case.deadline + timedelta(seconds=30))
    wait_until(lambda: Case.objects.get(pk=case_id).overdue, what="overdue")
    wait_until(lambda: sent_to(street.secretary, "voice", case_id).exists(), what="the secretary's call")


def test_b_three_smoke_alarms_in_a_compound_make_one_emergency_case(street) -> None:  # type: ignore[no-untyped-def]
    key = f"cluster:smoke:compound:{street.compound.pk}"
    start = timezone.now()
    # devices detects ≥ 3 smoke alarms in the compound within 5 minutes and calls this for each.
    ids = {
        alarm(street, source_key=key, category_code="fire-emergency", emergency=True, title="多点烟感火情",
              occurred_at=start + timedelta(minutes=n))
        for n in range(3)
    }  # fmt: skip
    assert len(ids) == 1
    case_id = ids.pop()
    case = Case.objects.get(pk=case_id)
    assert (case.severity, case.emergency, case.alarm_count, case.status) == (
        "critical",
        True,
        3,
        "dispatched",
    )
    assert Case.objects.filter(source_key=key).count() == 1
    # Property notified, then a voice call and an SMS to the community secretary.
    wait_until(lambda: sent_to(street.property_handler, "sms", case_id).exists(), what="property SMS")
    wait_until(lambda: sent_to(street.secretary, "voice", case_id).exists(), what="secretary call")
    wait_until(lambda: sent_to(street.secretary, "sms", case_id).exists(), what="secretary SMS")
    property_first = Notification.objects.filter(case_id=case_id, recipient=street.property_handler).order_by(
        "pk"
    )
    secretary = Notification.objects.filter(case_id=case_id, recipient=street.secretary).order_by("pk")
    assert property_first.first().pk < secretary.first().pk
    assert not Notification.objects.filter(case_id=case_id, recipient=street.leader).exists()
    # 29 minutes: still nothing for the street leader (swept here, to know it has run).
    sweep_deadlines_now(now=case.created_at + timedelta(minutes=29))
    assert not Notification.objects.filter(case_id=case_id, recipient=street.leader).exists()
    # Not closed within 30 minutes: the street leader is notified.
    with GroupListener(user_group(street.leader.pk)) as socket:
        sweep_at(case.created_at + timedelta(minutes=30, seconds=5))
        wait_until(lambda: sent_to(street.leader, "sms", case_id).exists(), what="leader SMS")
        socket.wait_for(lambda m: m.get("event") == "notification.created" and m["data"]["case"] == case_id)
    assert (
        Case.objects.get(pk=case_id).events.filter(action="escalate", data__target="street_leader").count()
        == 1
    )


def test_b_a_closed_emergency_does_not_reach_the_street_leader(street) -> None:  # type: ignore[no-untyped-def]
    case_id = alarm(
        street, source_key="cluster:smoke:compound:x", category_code="fire-emergency", emergency=True
    )
    for action, actor, extra in [
        ("accept", street.property_handler, {}),
        ("handle", street.property_handler, {"photos": [PhotoUpload(JPEG)]}),
        ("verify", street.grid_worker, {"params": {"passed": True}}),
        ("close", street.dispatcher, {"params": {"evaluation": "good"}}),
    ]:
        apply_transition(case_id=case_id, action=action, actor=actor, **extra)
    sweep_deadlines_now(now=timezone.now() + timedelta(minutes=31))
    assert not Notification.objects.filter(case_id=case_id, recipient=street.leader).exists()


def test_c_waterlogging_is_dispatched_without_review(street) -> None:  # type: ignore[no-untyped-def]
    case_id = alarm(
        street, source_key="alarm:wl", category_code="waterlogging", severity="major", title="积水"
    )
    case = Case.objects.get(pk=case_id)
    assert (case.status, case.department) == ("dispatched", street.water)
    events = list(case.events.order_by("id").values_list("action", "actor_role"))
    assert events[:3] == [("create", "system"), ("file", "system"), ("dispatch", "system")]
    assert {action for action, _ in events[3:]} <= {"escalate"}  # steps due at once, if its policy has any
    assert {role for _, role in events} == {"system"}
    # A grid worker's report of waterlogging is dispatched without review too (in their grid, away from
    # the alarm's compound: a report near an open case of its category waits for a merge decision).
    west, south = street.grid.boundary["coordinates"][0][0]
    report = create_case(source="patrol", category_code="waterlogging", lat=south + 0.0003, lng=west + 0.0003,
                         reporter=street.grid_worker)  # fmt: skip
    assert report.status == "dispatched"
    wait_until(lambda: sent_to(street.water_handler, "in_app", case_id).exists(), what="water in-app")


def test_d_hydrant_pressure_goes_to_water_and_verification_waits_for_normal(street) -> None:  # type: ignore[no-untyped-def]
    # devices raised the alarm after the pressure stayed below 0.14 MPa for 10 minutes (a scene threshold).
    case_id = alarm(street, source_key="alarm:hydrant", category_code="hydrant-pressure", severity="major",
                    title="消防栓水压低", description="0.08 MPa for 10 min", sensor_code="HYD-7")  # fmt: skip
    case = Case.objects.get(pk=case_id)
    assert (case.status, case.department) == ("dispatched", street.water)
    wait_until(lambda: sent_to(street.water_handler, "sms", case_id).exists(), what="water SMS")
    apply_transition(case_id=case_id, action="accept", actor=street.water_handler)
    apply_transition(case_id=case_id, action="handle", actor=street.water_handler, note="阀门已修复")
    with pytest.raises(IllegalTransition, match="10 minutes"):
        apply_transition(case_id=case_id, action="verify", actor=street.grid_worker, params={"passed": True})
    note_sensor_normal(case_id=case_id, normal_since=timezone.now() - timedelta(minutes=9))
    with pytest.raises(IllegalTransition, match="normal for 9"):
        apply_transition(case_id=case_id, action="verify", actor=street.grid_worker, params={"passed": True})
    # Normal since 10 minutes: the sensor rule is met and verification passes.
    note_sensor_normal(case_id=case_id, normal_since=timezone.now() - timedelta(minutes=10, seconds=1))
    verified = apply_transition(
        case_id=case_id, action="verify", actor=street.grid_worker, params={"passed": True}
    )
    assert verified.status == "verified"
    # The chase stopped when the water authority accepted.
    sweep_deadlines_now(now=timezone.now() + timedelta(hours=6))
    assert not Notification.objects.filter(case_id=case_id, recipient=street.duty_chief).exists()


def test_e_a_resident_rating_of_two_stars_reopens_the_case(street) -> None:  # type: ignore[no-untyped-def]
    case_id = alarm(street, source_key="alarm:door", category_code="door-open", severity="warning",
                    title="单元门未关闭")  # fmt: skip
    for action, actor, extra in [
        ("accept", street.property_handler, {}),
        ("handle", street.property_handler, {}),
        ("verify", street.grid_worker, {"params": {"passed": True}}),
        ("close", street.dispatcher, {"params": {"evaluation": "good"}}),
    ]:
        apply_transition(case_id=case_id, action=action, actor=actor, **extra)
    assert rate_case(case_id=case_id, stars=3).status == "closed"
    with GroupListener(user_group(street.property_handler.pk), "district") as socket:
        reopened = rate_case(case_id=case_id, stars=2, comment="门还是关不上")
        assert (reopened.status, reopened.reopen_count, reopened.satisfaction) == ("dispatched", 1, 2)
        frame = socket.wait_for(lambda m: m.get("event") == "case.reopened" and m["id"] == case_id)
        assert frame["version"] == reopened.version
        assert frame["data"]["status"] == "dispatched"
    # The same rating sent twice is refused and changes nothing (an API client's retry with its
    # Idempotency-Key gets the first answer instead: tests/cases/test_idempotency.py).
    with pytest.raises(IllegalTransition):
        rate_case(case_id=case_id, stars=2, comment="门还是关不上")
    assert Case.objects.get(pk=case_id).version == reopened.version
    # The reopened case runs a fresh handling clock: overdue again → the property is chased again.
    sweep_at(reopened.deadline + timedelta(seconds=30))
    wait_until(lambda: Case.objects.get(pk=case_id).overdue, what="overdue after reopening")
    wait_until(lambda: sent_to(street.property_handler, "in_app", case_id).exists(), what="the chase")
