"""Readings → rules → alarms: raise, repeat count, dwell, repeat rule, auto-clear, flapping, health,
manual actions, and the alarm's case through the cases app's services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.alarms.actions import AlarmStateError, acknowledge_alarm, clear_alarm, mark_false_alarm
from devices.alarms.cases import alarm_source_key, check_cluster, open_alarm_cases
from devices.alarms.sweeps import sweep_points
from devices.ingest import ingest_messages
from devices.models import Alarm, Reading, SensorPoint
from devices.processing import process_inbox
from tests.devices.conftest import received
from tests.devices.factories import SensorPointFactory, scene
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def feed(point: SensorPoint, *readings: dict) -> int:
    """Ingest and process readings of one point in one batch; returns how many were processed."""
    ids = ingest_messages(messages=[received(point.code, **r) for r in readings], enqueue=False).stored
    return process_inbox(ids=ids)


def at(t, seconds: int = 0) -> dict:
    return {"ts": (t + timedelta(seconds=seconds)).isoformat()}


def active(point: SensorPoint, type_: str = "smoke") -> Alarm | None:
    return Alarm.objects.filter(point=point, type=type_, cleared_at__isnull=True).first()


def test_smoke_raises_one_alarm_and_repeats_raise_its_count(t0):
    point = SensorPointFactory()
    feed(point, {**at(t0), "value": 1})
    alarm = active(point)
    assert alarm is not None
    assert (alarm.count, alarm.severity, alarm.first_seen, alarm.version) == (1, "critical", t0, 1)
    feed(point, {**at(t0, 10), "value": 1}, {**at(t0, 20), "value": 1})
    alarm.refresh_from_db()
    assert (alarm.count, alarm.last_seen, alarm.version) == (3, t0 + timedelta(seconds=20), 2)
    assert Alarm.objects.filter(point=point).count() == 1
    assert Reading.objects.filter(point_id=point.id, abnormal=True).count() == 3


@pytest.mark.parametrize("points", [1, 3, 12])
def test_alarms_of_many_points_in_one_batch_carry_their_own_points(t0, monkeypatch, points):
    """The worker reads a point's whole row only when its alarm changes: one by one for a few points,
    the rest of the batch at once after that (a storm). Each event still names its own point."""
    sent: list[dict] = []
    monkeypatch.setattr("devices.alarms.changes.broadcast_many_on_commit", lambda events: sent.extend(events))
    batch = [SensorPointFactory() for _ in range(points)]
    quiet = SensorPointFactory()
    messages = [received(p.code, **at(t0), value=1) for p in batch] + [
        received(quiet.code, **at(t0), value=0)
    ]
    process_inbox(ids=ingest_messages(messages=messages, enqueue=False).stored)
    raised = {event["data"]["sensor_point"]: event for event in sent if event["event"] == "alarm.raised"}
    assert sorted(raised) == sorted(p.code for p in batch)
    for point in batch:
        event = raised[point.code]
        alarm = Alarm.objects.get(pk=event["obj_id"])
        assert (alarm.point_id, event["grid_id"], event["data"]["lat"]) == (
            point.id,
            point.grid_id,
            point.lat,
        )
    assert active(quiet) is None


def test_normal_readings_store_readings_and_raise_nothing(t0):
    point = SensorPointFactory()
    feed(point, {**at(t0), "value": 0}, {**at(t0, 60), "type": "heartbeat", "value": None, "battery": 90})
    assert Alarm.objects.count() == 0
    assert list(Reading.objects.values_list("value", "abnormal")) == [
        (0.0, False)
    ]  # heartbeats are not readings
    point.refresh_from_db()
    assert point.battery == 90
    assert point.last_seen_at is not None
    assert point.offline_after == point.last_seen_at + timedelta(seconds=3 * point.heartbeat_interval)


def test_auto_clear_after_the_scene_clear_time_of_normal_readings(t0):
    point = SensorPointFactory()  # smoke: clears after 300 s of normal
    feed(point, {**at(t0), "value": 1})
    feed(point, {**at(t0, 60), "value": 0})
    assert active(point) is not None
    feed(point, {**at(t0, 200), "value": 0})
    assert active(point) is not None
    feed(point, {**at(t0, 361), "value": 0})
    alarm = Alarm.objects.get(point=point)
    assert (alarm.cleared_at is not None, alarm.clear_reason) == (True, "recovered")


def test_the_sweep_clears_when_no_further_reading_comes(t0):
    point = SensorPointFactory()
    feed(point, {**at(t0), "value": 1}, {**at(t0, 30), "value": 0})
    assert sweep_points(now=t0 + timedelta(seconds=100))["cleared"] == 0
    assert sweep_points(now=t0 + timedelta(seconds=331))["cleared"] == 1
    assert active(point) is None


def test_dwell_fire_lane_occupied_for_ten_minutes(t0):
    point = SensorPointFactory(scene=scene("fire-lane"), code="FL-1")  # dwell 600 s
    feed(point, {**at(t0), "type": "geomagnetic", "value": 1})
    feed(point, {**at(t0, 300), "type": "geomagnetic", "value": 1})
    assert active(point, "geomagnetic") is None
    feed(point, {**at(t0, 610), "type": "geomagnetic", "value": 1})
    alarm = active(point, "geomagnetic")
    assert alarm is not None
    assert alarm.first_seen == t0  # the occupation started then


def test_a_delivery_rider_leaving_in_time_raises_nothing(t0):
    point = SensorPointFactory(scene=scene("fire-lane"), code="FL-2")
    feed(point, {**at(t0), "type": "geomagnetic", "value": 1})
    feed(point, {**at(t0, 240), "type": "geomagnetic", "value": 0})
    feed(point, {**at(t0, 700), "type": "geomagnetic", "value": 1})
    assert sweep_points(now=t0 + timedelta(seconds=800))["dwell"] == 0
    assert Alarm.objects.count() == 0


def test_dwell_reached_without_a_new_reading_is_raised_by_the_sweep(t0):
    point = SensorPointFactory(scene=scene("fire-lane"), code="FL-3")
    feed(point, {**at(t0), "type": "geomagnetic", "value": 1})
    assert sweep_points(now=t0 + timedelta(seconds=599))["dwell"] == 0
    assert sweep_points(now=t0 + timedelta(seconds=601))["dwell"] == 1
    assert active(point, "geomagnetic").first_seen == t0
    assert sweep_points(now=t0 + timedelta(seconds=700))["dwell"] == 0  # one alarm only


def test_repeat_rule_two_high_temperatures_within_five_minutes(t0):
    point = SensorPointFactory(scene=scene("temperature"), code="TMP-1")  # >= 60 °C twice in 300 s
    feed(point, {**at(t0), "type": "temperature", "value": 65})
    assert active(point, "temperature") is None
    feed(point, {**at(t0, 400), "type": "temperature", "value": 66})  # outside the window of the first
    assert active(point, "temperature") is None
    feed(point, {**at(t0, 500), "type": "temperature", "value": 67})
    assert active(point, "temperature") is not None


def test_repeat_rule_counts_within_one_batch(t0):
    point = SensorPointFactory(scene=scene("temperature"), code="TMP-2")
    feed(
        point,
        {**at(t0), "type": "temperature", "value": 65},
        {**at(t0, 5), "type": "temperature", "value": 70},
    )
    assert active(point, "temperature").count == 1


def test_late_readings_are_stored_but_do_not_move_the_state_back(t0):
    point = SensorPointFactory()
    feed(point, {**at(t0, 60), "value": 0})
    feed(point, {**at(t0), "value": 1})  # older than what we already know
    assert Alarm.objects.count() == 0
    assert Reading.objects.filter(point_id=point.id).count() == 2


def test_an_hour_old_heartbeat_after_a_fresh_one_leaves_the_battery(t0):
    point = SensorPointFactory()
    feed(point, {**at(t0, 3600), "type": "heartbeat", "value": None, "battery": 77})
    feed(point, {**at(t0), "type": "heartbeat", "value": None, "battery": 55})  # a device's backlog
    feed(point, {**at(t0, 60), "type": "heartbeat", "value": None, "battery": 15})

    point.refresh_from_db()
    assert (point.battery, point.battery_at) == (77, t0 + timedelta(seconds=3600))
    assert active(point, Alarm.LOW_BATTERY) is None  # nor a low-battery alarm from the past
    assert point.last_seen_at is not None  # it did talk to us just now: "last seen" is the receive time


def test_a_late_reading_is_stored_but_the_point_keeps_its_newer_state(t0):
    point = SensorPointFactory()
    feed(point, {**at(t0, 3600), "value": 0, "battery": 77})
    feed(point, {**at(t0), "value": 1, "battery": 55})

    point.refresh_from_db()
    assert (point.last_value, point.last_reading_at) == (0.0, t0 + timedelta(seconds=3600))
    assert (point.battery, point.abnormal_since) == (77, None)
    assert sorted(Reading.objects.filter(point_id=point.id).values_list("value", flat=True)) == [0.0, 1.0]
    assert Alarm.objects.count() == 0


def test_a_newer_battery_in_a_later_batch_replaces_the_older(t0):
    point = SensorPointFactory()
    feed(point, {**at(t0), "type": "heartbeat", "value": None, "battery": 80})
    feed(point, {**at(t0, 60), "type": "heartbeat", "value": None, "battery": 19})

    point.refresh_from_db()
    assert (point.battery, point.battery_at) == (19, t0 + timedelta(seconds=60))
    assert active(point, Alarm.LOW_BATTERY) is not None


def test_readings_in_one_batch_are_applied_in_time_order(t0):
    point = SensorPointFactory(scene=scene("door-open"), code="DOOR-1")  # clears at the first normal reading
    feed(point, {**at(t0, 400), "type": "door", "value": 0}, {**at(t0), "type": "door", "value": 1},
         {**at(t0, 310), "type": "door", "value": 1})  # fmt: skip
    alarm = Alarm.objects.get(point=point)
    assert alarm.cleared_at is not None
    assert (alarm.first_seen, alarm.last_seen) == (t0, t0 + timedelta(seconds=310))


def test_flapping_more_than_two_changes_in_thirty_minutes(t0):
    point = SensorPointFactory(scene=scene("door-open"), code="DOOR-2", threshold=None)
    point.scene.dwell_seconds = 0
    point.scene.save(update_fields=["dwell_seconds"])
    for i in range(3):
        feed(point, {**at(t0, 100 * i), "type": "door", "value": 1})
        feed(point, {**at(t0, 100 * i + 50), "type": "door", "value": 0})
    alarms = list(Alarm.objects.filter(point=point).order_by("id"))
    assert [a.flapping for a in alarms] == [False, True, True]  # raise, clear, raise: the third change flaps
    assert [a.case_pending for a in alarms] == [True, False, False]  # no notifications while it flaps


def test_a_disabled_scene_raises_nothing(t0):
    point = SensorPointFactory()
    point.scene.enabled = False
    point.scene.save(update_fields=["enabled"])
    feed(point, {**at(t0), "value": 1})
    assert Alarm.objects.count() == 0
    assert Reading.objects.get().abnormal is False


def test_offline_after_three_heartbeat_intervals_and_back_online(t0):
    point = SensorPointFactory(heartbeat_interval=60)
    feed(point, {**at(t0), "type": "heartbeat", "value": None})
    point.refresh_from_db()
    seen = point.last_seen_at
    assert sweep_points(now=seen + timedelta(seconds=179))["offline"] == 0
    assert sweep_points(now=seen + timedelta(seconds=181))["offline"] == 1
    assert sweep_points(now=seen + timedelta(seconds=300))["offline"] == 0  # still the same one alarm
    offline = active(point, Alarm.OFFLINE)
    assert (offline.severity, offline.case_pending, offline.scene_id) == ("minor", True, None)
    feed(point, {**at(t0, 400), "type": "heartbeat", "value": None})
    offline.refresh_from_db()
    assert (offline.cleared_at is not None, offline.clear_reason) == (True, "recovered")


def test_points_never_seen_or_not_active_are_not_offline(t0):
    SensorPointFactory()  # never reported
    retired = SensorPointFactory()
    feed(retired, {**at(t0), "type": "heartbeat", "value": None})
    SensorPoint.objects.filter(pk=retired.pk).update(status=SensorPoint.Status.RETIRED)
    assert sweep_points(now=timezone.now() + timedelta(days=1))["offline"] == 0


def test_low_battery_under_20_clears_at_25(t0):
    point = SensorPointFactory()
    feed(point, {**at(t0), "type": "heartbeat", "value": None, "battery": 19})
    low = active(point, Alarm.LOW_BATTERY)
    assert (low.last_value, low.severity) == (19.0, "warning")
    feed(point, {**at(t0, 60), "type": "heartbeat", "value": None, "battery": 21})
    assert active(point, Alarm.LOW_BATTERY) is not None  # hysteresis: no flapping at 19/20/21
    feed(point, {**at(t0, 120), "type": "heartbeat", "value": None, "battery": 100})
    assert active(point, Alarm.LOW_BATTERY) is None


def test_acknowledge_clear_and_false_alarm(t0):
    user = UserFactory(role="dispatcher")
    point = SensorPointFactory()
    feed(point, {**at(t0), "value": 1})
    alarm = active(point)
    acknowledged = acknowledge_alarm(alarm_id=alarm.pk, user=user)
    assert (acknowledged.acknowledged_by, acknowledged.status, acknowledged.version) == (
        user,
        "acknowledged",
        2,
    )
    assert acknowledge_alarm(alarm_id=alarm.pk, user=user).version == 2  # idempotent
    cleared = clear_alarm(alarm_id=alarm.pk, user=user)
    assert (cleared.status, cleared.clear_reason, cleared.cleared_by) == ("cleared", "manual", user)
    with pytest.raises(AlarmStateError):
        acknowledge_alarm(alarm_id=alarm.pk, user=user)
    false = mark_false_alarm(alarm_id=alarm.pk, user=user)
    assert (false.false_alarm, false.clear_reason) == (True, "manual")
    feed(point, {**at(t0, 10), "value": 1})  # the sensor alarms again: a new alarm
    assert active(point).pk != alarm.pk


def test_the_cluster_rule_counts_points_of_its_compound_alarming_in_the_window(t0):
    """Counted: distinct points of this compound whose alarm of the scene was raised within the window
    and is not a false alarm. Not counted: other compounds, a false alarm, an alarm raised earlier."""
    from cases.defaults import ensure_default_catalogue
    from cases.models import Case

    ensure_default_catalogue()
    smoke = scene("smoke")
    a = SensorPointFactory()
    b, c, d = (SensorPointFactory(place=a.compound, code=f"SD-W{i}") for i in range(3))
    x, y = SensorPointFactory(code="SD-X0"), SensorPointFactory(code="SD-X1")
    for n, point in enumerate([a, b, c, d, x, y]):
        feed(point, {**at(t0, n), "value": 1})
    feed(a, {**at(t0, 30), "value": 1})  # a repeat: still one point
    mark_false_alarm(alarm_id=active(d).pk, user=UserFactory(role="dispatcher"))
    now = timezone.now()
    window = timedelta(seconds=smoke.cluster_window_seconds)
    Alarm.objects.filter(point=c).update(raised_at=now - window - timedelta(seconds=1))
    key = f"cluster:smoke:compound:{a.compound_id}"

    assert smoke.cluster_points == 3
    assert check_cluster(scene=smoke, compound_id=a.compound_id, now=now) is None
    assert not Case.objects.filter(source_key=key).exists()

    Alarm.objects.filter(point=c).update(raised_at=now - window + timedelta(seconds=1))
    case_id = check_cluster(scene=smoke, compound_id=a.compound_id, now=now)
    case = Case.objects.get(source_key=key)
    assert case.pk == case_id
    assert (case.emergency, case.compound_id, case.occurred_at) == (True, a.compound_id, t0)
    assert "3" in case.title
    assert a.compound.name in case.title
    assert check_cluster(scene=smoke, compound_id=x.compound_id, now=now) is None


def test_marking_an_active_alarm_false_clears_it_and_stops_its_case(t0):
    user = UserFactory(role="dispatcher")
    point = SensorPointFactory()
    feed(point, {**at(t0), "value": 1})
    alarm = mark_false_alarm(alarm_id=active(point).pk, user=user)
    assert (alarm.false_alarm, alarm.clear_reason, alarm.case_pending) == (True, "false_alarm", False)


def test_the_alarm_opens_its_case_and_repeats_update_it(t0):
    from cases.defaults import ensure_default_catalogue
    from cases.models import Case

    ensure_default_catalogue()
    point = SensorPointFactory()
    feed(point, {**at(t0), "value": 1})
    alarm = active(point)
    assert open_alarm_cases(alarm_ids=[alarm.pk]) == 1
    alarm.refresh_from_db()
    case = Case.objects.get(pk=alarm.case_id)
    assert (case.source_key, case.category.code, case.grid_id) == (
        alarm_source_key(point, "smoke"), "fire-smoke", point.grid_id,
    )  # fmt: skip
    assert open_alarm_cases(alarm_ids=[alarm.pk]) == 0  # idempotent
    feed(point, {**at(t0, 30), "value": 1})
    alarm.refresh_from_db()
    assert alarm.case_pending
    assert open_alarm_cases(alarm_ids=[alarm.pk]) == 1
    alarm.refresh_from_db()
    assert Case.objects.filter(source_key=alarm_source_key(point, "smoke")).count() == 1
    assert alarm.case_id == case.pk


def test_three_smoke_alarms_in_one_compound_open_an_emergency_case(t0):
    from cases.defaults import ensure_default_catalogue
    from cases.models import Case

    ensure_default_catalogue()
    first = SensorPointFactory()
    others = [SensorPointFactory(place=first.compound, code=f"SD-C{i}") for i in range(2)]
    key = f"cluster:smoke:compound:{first.compound_id}"
    for n, point in enumerate([first, *others]):
        feed(point, {**at(t0, n), "value": 1})
        open_alarm_cases(alarm_ids=[active(point).pk])
        assert Case.objects.filter(source_key=key).exists() is (n == 2)
    emergency = Case.objects.get(source_key=key)
    assert (emergency.category.code, emergency.severity, emergency.compound_id) == (
        "fire-emergency", "critical", first.compound_id,
    )  # fmt: skip
