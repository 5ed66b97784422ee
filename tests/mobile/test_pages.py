"""/m/ itself: who lands there, the page's options, the manifest and service worker, and the context
API (contacts with phones, a sensor point's readings and its alarm), scoped like the cases."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from devices.models import Alarm, Reading, SensorPoint
from tests.cases.conftest import Place
from tests.cases.factories import CaseFactory
from tests.devices.factories import scene
from tests.factories import CompoundFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["grid_worker", "handler", "gate_guard"])
def test_field_roles_land_on_the_phones_page(role: str) -> None:
    client = Client()
    client.force_login(UserFactory(role=role))
    assert client.get("/")["Location"] == "/m/"


def test_the_page_needs_a_login_and_carries_its_options(place: Place, catalogue: None) -> None:
    client = Client()
    assert client.get("/m/")["Location"].startswith("/accounts/login/")
    client.force_login(place.grid_worker)
    response = client.get("/m/")
    assert response.status_code == 200
    options = response.context["options"]
    assert options["user"]["username"] == place.grid_worker.username
    assert options["patrols"] is True
    assert "illegal-renovation" in {c["code"] for c in options["categories"]}
    page = response.content.decode()
    assert 'id="m-options"' in page
    assert "<script>" not in page  # CSP: scripts from files only
    assert 'rel="manifest"' in page
    assert "我的任务" in page  # Simplified Chinese by default


def test_a_guard_reports_from_the_gates_categories(place: Place, catalogue: None, guard: User) -> None:
    client = Client()
    client.force_login(guard)
    options = client.get("/m/").context["options"]
    assert options["patrols"] is False
    assert {c["code"] for c in options["categories"]} <= {
        "illegal-renovation", "fire-lane", "nonmotor-parking", "exposed-garbage", "group-rental", "noise",
    }  # fmt: skip


def test_manifest_and_service_worker(client: Client) -> None:
    manifest = client.get("/m/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    body = manifest.json()
    assert (body["start_url"], body["scope"], body["display"]) == ("/m/", "/m/", "standalone")
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in body["icons"]}
    assert any(icon["purpose"] == "maskable" for icon in body["icons"])
    worker = client.get("/m/sw.js")
    assert worker.status_code == 200
    assert worker["Service-Worker-Allowed"] == "/m/"
    assert "no-cache" in worker["Cache-Control"] or "max-age=0" in worker["Cache-Control"]
    assert "workbox-sw.js" in worker.content.decode()


def _api(user: User) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_context_gives_contacts_with_phones(place: Place, catalogue: None) -> None:
    place.property_company.phone = "021-65550000"
    place.property_company.save(update_fields=["phone"])
    case = CaseFactory(compound=place.compound, status="dispatched", assignee=place.grid_worker,
                       department=place.property_company)  # fmt: skip
    body = _api(place.grid_worker).get(f"/api/v1/mobile/cases/{case.pk}/context/").json()
    phones = {row["phone"] for row in body["contacts"]}
    assert "021-65550000" in phones
    assert place.other_grid_worker.phone in phones
    assert body["readings"] == []
    assert body["alarm"] is None


def test_context_of_a_sensor_case_has_readings_and_the_alarm(place: Place, catalogue: None) -> None:
    compound = place.compound
    point = SensorPoint.objects.create(code="SD-M0001", scene=scene("smoke"), sensor_type="smoke",
                                       lat=compound.centre_lat, lng=compound.centre_lng, grid=compound.grid,
                                       compound=compound)  # fmt: skip
    now = timezone.now()
    Reading.objects.bulk_create(
        [
            Reading(point=point, ts=now - timedelta(minutes=10 * n), type="smoke", value=n % 2)
            for n in range(5)
        ]
        + [Reading(point=point, ts=now - timedelta(days=2), type="smoke", value=1)]  # too old
    )
    case = CaseFactory(compound=compound, status="dispatched", assignee=place.grid_worker, source="sensor",
                       sensor_code=point.code)  # fmt: skip
    alarm = Alarm.objects.create(point=point, scene=point.scene, type="smoke", severity="major", first_seen=now,
                                 last_seen=now, raised_at=now, last_value=1, case_id=case.pk)  # fmt: skip
    body = _api(place.grid_worker).get(f"/api/v1/mobile/cases/{case.pk}/context/").json()
    assert len(body["readings"]) == 5
    assert body["readings"][0]["at"] < body["readings"][-1]["at"]  # oldest first, for the chart
    assert body["alarm"] == {"id": alarm.pk, "false_alarm": False, "may_mark_false": True}
    handler_view = _api(place.property_handler).get(f"/api/v1/mobile/cases/{case.pk}/context/")
    assert handler_view.status_code == 404  # not dispatched to the property company


def test_context_is_scoped_like_the_case(place: Place, catalogue: None) -> None:
    elsewhere = CaseFactory(compound=CompoundFactory(), status="dispatched")
    response = _api(place.grid_worker).get(f"/api/v1/mobile/cases/{elsewhere.pk}/context/")
    assert response.status_code == 404
    assert _api(place.grid_worker).get("/api/v1/mobile/cases/abc/context/").status_code == 404
