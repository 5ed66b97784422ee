"""The contract with devices: open_case_from_alarm and note_sensor_normal."""

import base64
import json
import threading
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseEvent, Notification
from cases.services import note_sensor_normal, open_case_from_alarm
from cases.workflow import BadInput, CaseNotFound


def alarm(place, **overrides):  # type: ignore[no-untyped-def]
    compound = place.compound
    fields = {
        "source_key": "alarm:1",
        "category_code": "fire-smoke",
        "severity": "critical",
        "title": "烟感报警 3号楼",
        "description": "smoke=1",
        "lat": compound.centre_lat,
        "lng": compound.centre_lng,
        "grid_id": compound.grid_id,
        "compound_id": compound.pk,
        "occurred_at": timezone.now(),
        "sensor_code": "SMK-0001",
    }
    fields.update(overrides)
    return open_case_from_alarm(**fields)


def test_an_alarm_opens_a_sensor_case_filed_and_dispatched(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case = Case.objects.get(pk=alarm(place))
    assert case.source == Case.Source.SENSOR
    assert case.status == Case.Status.DISPATCHED
    assert case.department == place.property_company
    assert (case.grid_id, case.compound_id, case.community_id) == (
        place.grid.pk,
        place.compound.pk,
        place.community.pk,
    )
    assert case.sensor_code == "SMK-0001"
    # Its steps due at once (the property company, the grid worker) fire as it is created.
    assert list(case.events.order_by("pk").values_list("action", flat=True)) == [
        "create", "file", "dispatch", "escalate", "escalate",
    ]  # fmt: skip
    assert case.version == 5
    # The smoke category's handling limit: 15 minutes on the urgent clock.
    assert case.deadline == case.handle_deadline
    assert abs((case.deadline - case.dispatched_at) - timedelta(minutes=15)) < timedelta(seconds=1)


def test_the_same_alarm_again_updates_the_open_case(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    first = alarm(place)
    events = CaseEvent.objects.filter(case_id=first).count()
    note_sensor_normal(case_id=first, normal_since=timezone.now())
    later = timezone.now() + timedelta(minutes=1)
    second = alarm(place, occurred_at=later)
    assert second == first
    case = Case.objects.get(pk=first)
    assert case.alarm_count == 2
    assert case.last_alarm_at == later
    assert case.sensor_normal_since is None  # alarming again: not normal any more
    assert Case.objects.filter(source_key="alarm:1").count() == 1
    assert case.events.count() == events  # a repeat is a counter, not a transition


def test_a_closed_case_does_not_swallow_a_new_alarm(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    first = alarm(place)
    Case.objects.filter(pk=first).update(status=Case.Status.CLOSED)
    second = alarm(place)
    assert second != first
    assert Case.objects.filter(source_key="alarm:1").count() == 2


def test_a_repeat_with_a_higher_severity_raises_it(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    first = alarm(place, severity="minor")
    alarm(place, severity="critical")
    case = Case.objects.get(pk=first)
    assert (case.severity, case.priority) == ("critical", 0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"category_code": "no-such"}, "Unknown or disabled case category"),
        ({"source_key": ""}, "source key"),
        ({"occurred_at": timezone.now().replace(tzinfo=None)}, "time zone"),
        ({"lat": 91.0}, "lat must be"),
        ({"lng": float("nan")}, "lng must be"),
        ({"severity": "apocalyptic"}, "Unknown severity"),
        ({"grid_id": 999999, "compound_id": None}, "Unknown grid"),
    ],
)
def test_bad_alarms_are_clear_errors_and_write_nothing(catalogue, place, overrides, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadInput, match=message):
        alarm(place, **overrides)
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_processes_opening_the_same_alarm_make_one_case(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    """Both find no open case and insert; the unique constraint turns the loser into a repeat."""
    barrier = threading.Barrier(4)
    ids: list[int] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            barrier.wait()
            ids.append(alarm(place, source_key="cluster:smoke:compound:1"))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(ids)) == 1
    case = Case.objects.get(source_key="cluster:smoke:compound:1")
    assert case.alarm_count == 4


def test_note_sensor_normal(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case_id = alarm(place)
    version = Case.objects.get(pk=case_id).version
    since = timezone.now() - timedelta(minutes=3)
    note_sensor_normal(case_id=case_id, normal_since=since)
    note_sensor_normal(case_id=case_id, normal_since=since + timedelta(minutes=1))  # later: keeps the earlier
    case = Case.objects.get(pk=case_id)
    assert case.sensor_normal_since == since
    assert case.version == version + 1
    with pytest.raises(CaseNotFound):
        note_sensor_normal(case_id=987654, normal_since=since)
    with pytest.raises(BadInput, match="time zone"):
        note_sensor_normal(case_id=case_id, normal_since=since.replace(tzinfo=None))


@pytest.mark.district("Celery tasks on the Redis broker (standalone runs them inline)")
@pytest.mark.django_db(transaction=True)
def test_the_alarm_task_sends_the_notifications_of_its_cases_by_one_task(catalogue, place, settings) -> None:  # type: ignore[no-untyped-def]
    """devices' open_alarm_cases opens each alarm's case in its own transaction, inside the cases app's
    alarm_cases_together(): one send_notifications task for them all, not one a case."""
    from devices.models import Alarm
    from devices.services import Received, ingest_messages, open_alarm_cases, process_inbox
    from tests.devices.conftest import payload
    from tests.devices.factories import SensorPointFactory

    points = [SensorPointFactory(place=place.compound, code=f"SD-T{n}") for n in range(3)]
    now = timezone.now()
    messages = [Received(f"sensors/{p.code}/data", payload(ts=now.isoformat(), value=1), now) for p in points]
    process_inbox(ids=ingest_messages(messages=messages, enqueue=False).stored)
    alarms = list(Alarm.objects.filter(point__in=points).values_list("pk", flat=True))
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    before = broker.llen("notify")
    try:
        assert open_alarm_cases(alarm_ids=alarms) == 3
        queued = broker.lrange("notify", 0, broker.llen("notify") - before - 1)
        assert [json.loads(m)["headers"]["task"] for m in queued] == ["cases.tasks.send_notifications"]
        sent = json.loads(base64.b64decode(json.loads(queued[0])["body"]))[0][0]
        # Three alarms of one compound: the cluster rule's emergency case is opened in the block too.
        assert sorted(sent) == sorted(
            Notification.objects.filter(status="pending").values_list("pk", flat=True)
        )
        assert Notification.objects.filter(case__source_key__startswith="sensor:SD-T").count() == 9
    finally:
        while broker.llen("notify") > before:
            broker.lpop("notify")
