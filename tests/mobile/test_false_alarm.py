"""A sensor alarm found false on site, as /m/ sends it (alarms API, then the case's steps): the alarm is
marked false and counts in its scene's false-alarm rate; the case is handled with what was found (and the
photo its category asks for)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from cases import workflow
from cases.services import open_case_from_alarm
from devices.models import Alarm, Scene, SensorPoint
from devices.selectors import false_alarm_rate, with_alarm_statistics
from tests.cases.conftest import JPEG, Place
from tests.devices.factories import scene

pytestmark = pytest.mark.django_db


def test_a_false_alarm_mark_counts_in_the_scenes_rate(place: Place, catalogue: None) -> None:
    compound = place.compound
    smoke = scene("smoke")
    point = SensorPoint.objects.create(code="SD-F0001", scene=smoke, sensor_type="smoke", lat=compound.centre_lat,
                                       lng=compound.centre_lng, grid=compound.grid, compound=compound)  # fmt: skip
    now = timezone.now()
    case_id = open_case_from_alarm(
        source_key="alarm:SD-F0001:smoke", category_code="fire-smoke", severity="major", title="烟感报警",
        description="", lat=point.lat, lng=point.lng, grid_id=compound.grid_id, compound_id=compound.pk,
        occurred_at=now, sensor_code=point.code,
    )  # fmt: skip
    workflow.apply_transition(
        case_id=case_id,
        action="dispatch",
        actor=place.dispatcher,
        params={"assignee": place.grid_worker.username},
    )
    alarm = Alarm.objects.create(point=point, scene=smoke, type="smoke", severity="major", first_seen=now,
                                 last_seen=now, raised_at=now, last_value=1, case_id=case_id)  # fmt: skip
    phone = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    phone.force_authenticate(place.grid_worker)
    context = phone.get(f"/api/v1/mobile/cases/{case_id}/context/").json()
    assert context["alarm"] == {"id": alarm.pk, "false_alarm": False, "may_mark_false": True}

    assert phone.post(f"/api/v1/alarms/{alarm.pk}/false-alarm/", {}, format="json").status_code == 200
    assert phone.post(f"/api/v1/cases/{case_id}/accept/", {}, format="json").status_code == 200
    photo = SimpleUploadedFile("after.jpg", JPEG, content_type="image/jpeg")
    handled = phone.post(
        f"/api/v1/cases/{case_id}/handle/", {"note": "误报：面包房早餐油烟", "photos": [photo]}
    )

    assert handled.status_code == 200, handled.content
    assert handled.json()["status"] == "handled"
    row = with_alarm_statistics(Scene.objects.filter(pk=smoke.pk)).get()
    assert (row.alarms_7d, row.false_7d) == (1, 1)
    assert false_alarm_rate(row.alarms_7d, row.false_7d) == 100.0
    assert phone.get(f"/api/v1/mobile/cases/{case_id}/context/").json()["alarm"]["false_alarm"] is True
