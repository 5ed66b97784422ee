"""REST API of the devices app: register points (credentials once), alarms by sensor point with actions,
dead letters for administrators and dispatchers; every list and detail scoped by role."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from devices.credentials import check_password
from devices.ingest import ingest_messages
from devices.models import Alarm, DeadLetter, SensorPoint
from devices.processing import process_inbox
from tests.devices.conftest import received
from tests.devices.factories import SensorPointFactory, scene
from tests.factories import CompoundFactory, DepartmentFactory, GridFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user(role=User.Role.ADMIN)


@pytest.fixture
def dispatcher(make_user):
    return make_user(role=User.Role.DISPATCHER)


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def alarm_for(point: SensorPoint, *, value: int = 1, times: int = 1) -> Alarm:
    start = timezone.now() - timedelta(minutes=5)
    messages = [
        received(point.code, ts=(start + timedelta(seconds=n)).isoformat(), value=value) for n in range(times)
    ]
    process_inbox(ids=ingest_messages(messages=messages, enqueue=False).stored)
    return Alarm.objects.get(point=point, cleared_at__isnull=True)


# sensor points ------------------------------------------------------------------------------------


def test_admin_registers_a_point_and_gets_its_mqtt_credentials_once(api_client, admin):
    compound = CompoundFactory()
    scene("smoke")
    body = {"code": "SD-NEW-1", "type": "smoke", "lat": compound.centre_lat, "lng": compound.centre_lng}
    response = as_user(api_client, admin).post("/api/v1/sensor-points/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["mqtt_username"], created["scene"], created["compound"], created["grid"]) == (
        "SD-NEW-1", "smoke", compound.id, compound.grid_id,
    )  # fmt: skip
    point = SensorPoint.objects.get(code="SD-NEW-1")
    assert point.mqtt_password_hash.startswith("$7$101$")
    assert created["mqtt_password"] not in point.mqtt_password_hash
    assert check_password(created["mqtt_password"], point.mqtt_password_hash)
    again = api_client.get(f"/api/v1/sensor-points/{point.pk}/").json()
    assert "mqtt_password" not in again
    assert again["online"] is None


def test_geomagnetic_points_must_name_their_scene(api_client, admin):
    scene("fire-lane")
    body = {"code": "GM-1", "type": "geomagnetic", "lat": 31.27, "lng": 121.48}
    response = as_user(api_client, admin).post("/api/v1/sensor-points/", body, format="json")
    assert response.status_code == 400
    assert "fire-lane" in str(response.json())
    assert "nonmotor-parking" in str(response.json())
    response = api_client.post("/api/v1/sensor-points/", {**body, "scene": "fire-lane"}, format="json")
    assert response.status_code == 201
    assert response.json()["grid"] is None  # outside every grid: registered, unassigned


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "bad code"}, "code"),
        ({"code": "sensors/+"}, "code"),
        ({"type": "radiation"}, "type"),
        ({"lat": 91}, "lat"),
        ({"lng": "east"}, "lng"),
        ({"scene": "noise"}, "type"),
        ({"acoustic_zone": "9"}, "acoustic_zone"),
        ({"heartbeat_interval": 1}, "heartbeat_interval"),
    ],
)
def test_bad_registrations_say_why_and_create_nothing(api_client, admin, change, field):
    scene("smoke")
    body = {"code": "SD-OK", "type": "smoke", "lat": 31.27, "lng": 121.48, **change}
    response = as_user(api_client, admin).post("/api/v1/sensor-points/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not SensorPoint.objects.exists()


def test_a_code_registers_once(api_client, admin):
    point = SensorPointFactory(code="SD-DUP")
    body = {"code": "SD-DUP", "type": "smoke", "lat": point.lat, "lng": point.lng}
    response = as_user(api_client, admin).post("/api/v1/sensor-points/", body, format="json")
    assert response.status_code == 400
    assert "code" in response.json()


@pytest.mark.parametrize("role", [User.Role.DISPATCHER, User.Role.GRID_WORKER, User.Role.HANDLER])
def test_only_administrators_register_points(api_client, make_user, role):
    body = {"code": "SD-X", "type": "smoke", "lat": 31.27, "lng": 121.48}
    response = as_user(api_client, make_user(role=role)).post("/api/v1/sensor-points/", body, format="json")
    assert response.status_code == 403
    assert not SensorPoint.objects.exists()


def test_point_lists_are_scoped(api_client, make_user):
    mine, other = SensorPointFactory(), SensorPointFactory()
    worker = make_user(role=User.Role.GRID_WORKER)
    mine.grid.workers.add(worker)
    department = DepartmentFactory()
    handler = make_user(role=User.Role.HANDLER, department=department)
    SensorPoint.objects.filter(pk=other.pk).update(department=department)

    def codes(user, url="/api/v1/sensor-points/"):
        return {row["code"] for row in as_user(api_client, user).get(url).json()["results"]}

    assert codes(worker) == {mine.code}
    assert codes(handler) == {other.code}
    assert codes(make_user(role=User.Role.DISPATCHER)) == {mine.code, other.code}
    assert as_user(api_client, worker).get(f"/api/v1/sensor-points/{other.pk}/").status_code == 404
    assert codes(make_user(role=User.Role.DISPATCHER), f"/api/v1/sensor-points/?code={other.code}") == {
        other.code
    }


def test_anonymous_is_refused(api_client):
    assert api_client.get("/api/v1/sensor-points/").status_code in {401, 403}
    assert api_client.get("/api/v1/alarms/").status_code in {401, 403}


# alarms -------------------------------------------------------------------------------------------


def test_alarms_by_sensor_point_with_their_count(api_client, dispatcher):
    point, other = SensorPointFactory(), SensorPointFactory()
    alarm_for(point, times=3)
    alarm_for(other)
    response = as_user(api_client, dispatcher).get("/api/v1/alarms/", {"sensor_point": point.code})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert (row["sensor_point"], row["count"], row["status"], row["severity"], row["scene"]) == (
        point.code, 3, "active", "critical", "smoke",
    )  # fmt: skip
    assert row["place"] == point.compound.name
    assert row["title"].endswith(point.code)


def test_alarm_lists_and_details_are_scoped(api_client, make_user):
    mine, other = SensorPointFactory(), SensorPointFactory()
    worker = make_user(role=User.Role.GRID_WORKER)
    mine.grid.workers.add(worker)
    alarm_for(mine)
    hidden = alarm_for(other)
    rows = as_user(api_client, worker).get("/api/v1/alarms/").json()["results"]
    assert [row["sensor_point"] for row in rows] == [mine.code]
    assert api_client.get(f"/api/v1/alarms/{hidden.pk}/").status_code == 404
    assert api_client.post(f"/api/v1/alarms/{hidden.pk}/acknowledge/").status_code == 404
    assert Alarm.objects.get(pk=hidden.pk).acknowledged_at is None


def test_acknowledge_clear_false_alarm_actions(api_client, dispatcher):
    alarm = alarm_for(SensorPointFactory())
    client = as_user(api_client, dispatcher)
    response = client.post(f"/api/v1/alarms/{alarm.pk}/acknowledge/")
    assert (response.status_code, response.json()["status"], response.json()["version"]) == (
        200,
        "acknowledged",
        2,
    )
    response = client.post(f"/api/v1/alarms/{alarm.pk}/clear/")
    assert (response.status_code, response.json()["status"], response.json()["clear_reason"]) == (
        200, "cleared", "manual",
    )  # fmt: skip
    response = client.post(f"/api/v1/alarms/{alarm.pk}/acknowledge/")
    assert response.status_code == 409
    assert response.json()["detail"]
    response = client.post(f"/api/v1/alarms/{alarm.pk}/false-alarm/")
    assert (response.status_code, response.json()["false_alarm"]) == (200, True)


def test_handlers_acknowledge_but_do_not_clear(api_client, make_user):
    point = SensorPointFactory()
    department = DepartmentFactory()
    SensorPoint.objects.filter(pk=point.pk).update(department=department)
    user = make_user(role=User.Role.HANDLER, department=department)
    alarm = alarm_for(point)
    client = as_user(api_client, user)
    assert client.post(f"/api/v1/alarms/{alarm.pk}/clear/").status_code == 403
    assert client.post(f"/api/v1/alarms/{alarm.pk}/false-alarm/").status_code == 403
    assert client.post(f"/api/v1/alarms/{alarm.pk}/acknowledge/").status_code == 200
    assert Alarm.objects.get(pk=alarm.pk).cleared_at is None


def test_officials_read_alarms_and_change_nothing(api_client, make_user):
    point = SensorPointFactory()
    official = make_user(role=User.Role.OFFICIAL)
    official.official_streets.add(point.grid.community.street)
    alarm = alarm_for(point)
    client = as_user(api_client, official)
    assert client.get(f"/api/v1/alarms/{alarm.pk}/").status_code == 200
    for action in ("acknowledge", "clear", "false-alarm"):
        response = client.post(f"/api/v1/alarms/{alarm.pk}/{action}/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403, action
        assert "official" in response.json()["detail"]
    alarm.refresh_from_db()
    assert (alarm.acknowledged_at, alarm.cleared_at, alarm.false_alarm) == (None, None, False)


def test_active_filter(api_client, dispatcher):
    alarm = alarm_for(SensorPointFactory())
    client = as_user(api_client, dispatcher)
    assert [r["id"] for r in client.get("/api/v1/alarms/", {"active": "true"}).json()["results"]] == [
        alarm.pk
    ]
    client.post(f"/api/v1/alarms/{alarm.pk}/clear/")
    assert client.get("/api/v1/alarms/", {"active": "true"}).json()["results"] == []
    assert len(client.get("/api/v1/alarms/", {"active": "false"}).json()["results"]) == 1


# dead letters -------------------------------------------------------------------------------------


def test_dead_letters_with_count_and_reason_filter(api_client, dispatcher):
    point = SensorPointFactory()
    ingest_messages(
        messages=[
            received(point.code, raw=b"{oops"),
            received(point.code, raw=b"\xff\xfe"),
            received("GHOST-1"),
            received(point.code, id="fine"),
        ],
        enqueue=False,
    )
    client = as_user(api_client, dispatcher)
    body = client.get("/api/v1/dead-letters/").json()
    assert body["count"] == 3
    assert {row["reason"] for row in body["results"]} == {"malformed_json", "unknown_device"}
    body = client.get("/api/v1/dead-letters/", {"reason": "malformed_json"}).json()
    assert body["count"] == 2
    raw = {row["payload_base64"] for row in body["results"]}
    assert raw == {"e29vcHM=", "//4="}  # the exact bytes, base64
    assert client.get("/api/v1/dead-letters/", {"reason": "nonsense"}).status_code == 400


@pytest.mark.parametrize("role", [User.Role.GRID_WORKER, User.Role.HANDLER, User.Role.OFFICIAL])
def test_dead_letters_are_for_administrators_and_dispatchers(api_client, make_user, role):
    DeadLetter.objects.create(
        reason="oversize", topic="sensors/x/data", payload=b"x", received_at=timezone.now()
    )
    assert as_user(api_client, make_user(role=role)).get("/api/v1/dead-letters/").status_code == 403
    assert (
        as_user(api_client, make_user(role=User.Role.ADMIN)).get("/api/v1/dead-letters/").status_code == 200
    )


def test_grid_factory_points_outside_compounds_get_the_grid(api_client, admin):
    grid = GridFactory()
    scene("smoke")
    ring = grid.boundary["coordinates"][0]
    lng, lat = ring[0][0] + 0.0001, ring[0][1] + 0.0001  # a corner of the grid, outside any compound
    body = {"code": "SD-CORNER", "type": "smoke", "lat": lat, "lng": lng}
    created = as_user(api_client, admin).post("/api/v1/sensor-points/", body, format="json").json()
    assert (created["grid"], created["compound"]) == (grid.id, None)
