"""Admin: the map widget, credentials shown once, assignment by location, CSV import and export,
scene statistics, alarm actions."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from devices.credentials import check_password
from devices.models import Alarm, DeadLetter, Scene, SensorPoint
from tests.devices.factories import SensorPointFactory, scene
from tests.factories import CompoundFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(role=User.Role.ADMIN, is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # assertions below read the English texts
    return client


def test_the_admin_speaks_chinese_by_default(admin_client):
    del admin_client.defaults["HTTP_ACCEPT_LANGUAGE"]
    SensorPointFactory()  # the actions menu shows with rows only
    page = admin_client.get("/admin/devices/sensorpoint/").content.decode()
    assert "导入 CSV" in page
    assert "重新生成 MQTT 凭据" in page


def test_the_add_page_has_a_leaflet_map_that_fills_lat_and_lng(admin_client):
    CompoundFactory(name="凉城新村")
    page = admin_client.get("/admin/devices/sensorpoint/add/").content.decode()
    assert 'class="dcc-point-map"' in page
    assert 'data-lat-input="id_lat"' in page
    assert 'data-lng-input="id_lng"' in page
    assert "leaflet/leaflet.js" in page
    assert "devices/point_map.js" in page
    assert json.dumps("凉城新村")[1:-1] in page  # compound outlines drawn on the map (JSON-escaped)
    assert admin_client.get("/static/devices/point_map.js").status_code == 200


def test_adding_a_point_assigns_its_place_and_shows_the_password_once(admin_client):
    compound = CompoundFactory()
    smoke = scene("smoke")
    form = {"code": "ADM-1", "scene": smoke.pk, "status": "active", "lat": compound.centre_lat,
            "lng": compound.centre_lng, "heartbeat_interval": 300}  # fmt: skip
    response = admin_client.post("/admin/devices/sensorpoint/add/", form, follow=True)
    assert response.status_code == 200
    point = SensorPoint.objects.get(code="ADM-1")
    assert (point.compound_id, point.grid_id, point.sensor_type) == (compound.id, compound.grid_id, "smoke")
    shown = [str(m) for m in response.context["messages"]]
    password = next(
        re.search(r"password (\S+)\. ", m).group(1) for m in shown if "ADM-1" in m and "password" in m
    )
    assert check_password(password, point.mqtt_password_hash)
    change = admin_client.get(f"/admin/devices/sensorpoint/{point.pk}/change/").content.decode()
    assert password not in change


def test_a_retired_scene_takes_no_new_points(admin_client):
    retired = scene("sos")
    Scene.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
    form = {"code": "ADM-2", "scene": retired.pk, "status": "active", "lat": 31.27, "lng": 121.48,
            "heartbeat_interval": 300}  # fmt: skip
    response = admin_client.post("/admin/devices/sensorpoint/add/", form)
    assert response.status_code == 200
    assert "retired" in response.content.decode()
    assert not SensorPoint.objects.filter(code="ADM-2").exists()


def test_csv_import_page_reports_bad_rows_and_imports_good_files(admin_client):
    scene("smoke")
    bad = io.BytesIO(b"code,type,lat,lng\nGOOD-1,smoke,31.27,121.48\nBAD 2,smoke,31.27,121.48\n")
    bad.name = "points.csv"
    page = admin_client.post("/admin/devices/sensorpoint/import-csv/", {"file": bad}).content.decode()
    assert "line 3" in page
    assert not SensorPoint.objects.exists()
    good = io.BytesIO(
        "\ufeffcode,type,lat,lng\nGOOD-1,smoke,31.27,121.48\nGOOD-2,smoke,31.27,121.49\n".encode()
    )
    good.name = "points.csv"
    response = admin_client.post("/admin/devices/sensorpoint/import-csv/", {"file": good})
    assert response.status_code == 302
    assert set(SensorPoint.objects.values_list("code", flat=True)) == {"GOOD-1", "GOOD-2"}
    not_utf8 = io.BytesIO("code,type,lat,lng\n烟感-1,smoke,31,121\n".encode("gb18030"))
    not_utf8.name = "gbk.csv"
    assert (
        "UTF-8"
        in admin_client.post("/admin/devices/sensorpoint/import-csv/", {"file": not_utf8}).content.decode()
    )


def test_issue_credentials_and_export_actions(admin_client):
    points = [SensorPointFactory(code=f"ACT-{i}") for i in range(3)]
    ids = [p.pk for p in points]
    response = admin_client.post(
        "/admin/devices/sensorpoint/", {"action": "issue_mqtt_credentials", "_selected_action": ids}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["mqtt_username"] for r in rows] == ["ACT-0", "ACT-1", "ACT-2"]
    for row in rows:
        assert check_password(
            row["mqtt_password"], SensorPoint.objects.get(code=row["code"]).mqtt_password_hash
        )
    response = admin_client.post(
        "/admin/devices/sensorpoint/", {"action": "export_csv", "_selected_action": ids}
    )
    exported = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["code"] for r in exported] == ["ACT-0", "ACT-1", "ACT-2"]
    assert exported[0]["compound"] == points[0].compound.code


def test_scene_list_shows_alarm_volume_and_false_alarm_rate(admin_client):
    point = SensorPointFactory()
    now = timezone.now()
    for n, (age, false) in enumerate([(1, True), (2, False), (3, False), (20, True)]):
        Alarm.objects.create(
            point=point, scene=point.scene, type="smoke", severity="critical", first_seen=now, last_seen=now,
            raised_at=now - timedelta(days=age), cleared_at=now, false_alarm=false,
        )  # fmt: skip
        assert n >= 0
    page = admin_client.get("/admin/devices/scene/").content.decode()
    row = re.search(r"<tr>.*?烟感报警.*?</tr>", page, re.S).group(0)
    cells = re.findall(r'<td class="field-(\w+)[^"]*">(.*?)</td>', row, re.S)
    values = dict(cells)
    assert (values["alarms_7d"], values["false_rate_7d"]) == ("3", "33.3 %")
    assert (values["alarms_30d"], values["false_rate_30d"]) == ("4", "50.0 %")


def test_scene_switch_off_and_retire_actions(admin_client):
    smoke, noise = scene("smoke"), scene("noise")
    admin_client.post("/admin/devices/scene/", {"action": "switch_off", "_selected_action": [smoke.pk]})
    admin_client.post("/admin/devices/scene/", {"action": "retire", "_selected_action": [noise.pk]})
    smoke.refresh_from_db()
    noise.refresh_from_db()
    assert (smoke.enabled, smoke.retired_at) == (False, None)
    assert (noise.enabled, noise.retired_at is not None) == (False, True)


def test_alarm_actions_and_read_only_pages(admin_client):
    point = SensorPointFactory()
    now = timezone.now()
    alarm = Alarm.objects.create(point=point, scene=point.scene, type="smoke", severity="critical",
                                 first_seen=now, last_seen=now, raised_at=now)  # fmt: skip
    admin_client.post(
        "/admin/devices/alarm/", {"action": "false_alarm_action", "_selected_action": [alarm.pk]}
    )
    alarm.refresh_from_db()
    assert (alarm.false_alarm, alarm.clear_reason) == (True, "false_alarm")
    DeadLetter.objects.create(reason="oversize", topic="sensors/x/data", payload=b"x", received_at=now)
    assert admin_client.get("/admin/devices/deadletter/").status_code == 200
    assert admin_client.get("/admin/devices/alarm/").status_code == 200
    assert admin_client.get("/admin/devices/deadletter/add/").status_code == 403


def test_the_admin_tells_the_alarm_model_from_the_cases_alarm_count(admin_client):
    """Two words that were one msgid ("alarms"): the Alarm model is 告警, a case's count of them 报警次数."""
    from cases.defaults import ensure_default_catalogue
    from cases.models import Case
    from devices.alarms.cases import open_alarm_cases
    from devices.ingest import ingest_messages
    from devices.processing import process_inbox
    from tests.devices.conftest import received

    del admin_client.defaults["HTTP_ACCEPT_LANGUAGE"]  # the default language, Simplified Chinese
    ensure_default_catalogue()
    point = SensorPointFactory()
    process_inbox(ids=ingest_messages(messages=[received(point.code, value=1)], enqueue=False).stored)
    open_alarm_cases(alarm_ids=list(Alarm.objects.values_list("id", flat=True)))
    case = Case.objects.get()

    index = admin_client.get("/admin/").content.decode()
    model_link = re.search(r'href="/admin/devices/alarm/"[^>]*>([^<]+)<', index)
    case_page = admin_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()

    assert model_link is not None
    assert model_link.group(1) == "告警"
    assert "报警次数" not in index
    assert re.search(r"<label>报警次数", case_page)


def test_a_dead_letter_shows_its_first_4_kib_its_size_and_hash(admin_client):
    raw = b'{"id": "big", "pad": "' + b"y" * 100_000 + b'"}'
    letter = DeadLetter.of(
        reason="oversize",
        topic="sensors/SD-1/data",
        device_code="SD-1",
        payload=raw,
        received_at=timezone.now(),
    )
    letter.save()

    page = admin_client.get(f"/admin/devices/deadletter/{letter.pk}/change/").content.decode()

    assert "{&quot;id&quot;: &quot;big&quot;" in page  # the kept bytes, as text
    assert "y" * 4000 in page
    assert "y" * 4100 not in page
    assert str(len(raw)) in page
    assert letter.sha256 in page
