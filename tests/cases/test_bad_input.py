"""Bad input gets a clear 4xx naming what is wrong, never a 500, and nothing of it is stored.

Cases (create, actions, list filters) and sensor points: points outside the deployment's area, JSON `true`
as a number, a major category as a case's category, ids beyond 64 bits, control characters in text."""

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent
from devices.models import SensorPoint
from tests.devices.factories import scene

BEIJING = (39.9087, 116.3975)  # Tiananmen: another city


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def report(place, **extra):  # type: ignore[no-untyped-def]
    return {"category": "exposed-garbage", "lat": place.compound.centre_lat, "lng": place.compound.centre_lng,
            **extra}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"lat": 0, "lng": 0}, "lat", "outside the area"),
        ({"lat": BEIJING[0], "lng": BEIJING[1]}, "lat", "outside the area"),
        ({"lat": True}, "lat", "valid number"),
        ({"lng": False}, "lng", "valid number"),
        ({"category": "appearance"}, "category", "major category"),
        ({"title": "垃圾\x07满溢"}, "title", "Control characters"),
        ({"title": "第一行\n第二行"}, "title", "Control characters"),
        ({"address": "路\x00口"}, "address", "Control characters"),
        ({"description": "描述\x1b[31m"}, "description", "Control characters"),
    ],
)
def test_bad_reports_are_400_and_store_nothing(catalogue, place, change, field, words) -> None:  # type: ignore[no-untyped-def]
    response = client_for(place.dispatcher).post("/api/v1/cases/", report(place, **change), format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert words in " ".join(body[field]), body
    assert words in body["detail"], body
    assert not Case.objects.exists()


def test_a_multi_line_description_is_text(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    body = report(place, description="第一行\n第二行\t缩进\r\n")
    response = client_for(place.dispatcher).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.content


def test_a_place_just_outside_a_grid_is_inside_the_area(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    """A phone's GPS error at the edge of the street: 100 m outside the last grid is still the street."""
    ring = place.grid.boundary["coordinates"][0]
    south = min(lat for _lng, lat in ring)
    body = report(place, lat=south - 100 / 111_320)
    response = client_for(place.dispatcher).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.content


def test_with_no_geography_any_place_on_earth_is_taken(catalogue, django_user_model) -> None:  # type: ignore[no-untyped-def]
    """A fresh install (no grids loaded yet) takes reports anywhere."""
    dispatcher = django_user_model.objects.create(username="d", role="dispatcher")
    body = {"category": "exposed-garbage", "lat": BEIJING[0], "lng": BEIJING[1]}
    assert client_for(dispatcher).post("/api/v1/cases/", body, format="json").status_code == 201


def test_the_area_message_speaks_chinese(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(place.dispatcher)
    with translation.override("zh-hans"):
        response = client.post("/api/v1/cases/", report(place, lat=0, lng=0), format="json")
    assert response.status_code == 400
    assert "不在本中心" in response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "grid=99999999999999999999",
        "community=99999999999999999999",
        "compound=-1",
        "grid=1.5",
        "grid=%E2%91%A0",  # a circled digit: a digit to str.isdigit, not a number
        "assignee=%00",
        "department=a%07b",
        "sensor_point=SD%0A1",
    ],
)
def test_bad_filters_are_400(catalogue, place, query) -> None:  # type: ignore[no-untyped-def]
    response = client_for(place.dispatcher).get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400, (query, response.content)
    assert query.split("=")[0] in response.json()


def test_large_ids_in_filters_of_a_username_or_code_find_nothing(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    for query in ("assignee=99999999999999999999", "department=99999999999999999999"):
        response = client_for(place.dispatcher).get(f"/api/v1/cases/?{query}")
        assert (response.status_code, response.json()["results"]) == (200, []), query


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("merge", {"into": True}, "into"),
        ("merge", {"into": 99999999999999999999}, "into"),
        ("reject", {"reason": "bored"}, "reason"),
        ("reject", {}, "reason"),
        ("file", {"note": "好\x08的"}, "note"),
        ("dispatch", {"assignee": "gw\x00"}, "assignee"),
        ("suspend", {"note": "   "}, "note"),
    ],
)
def test_bad_action_input_is_400_and_changes_nothing(catalogue, place, action, body, field) -> None:  # type: ignore[no-untyped-def]
    client = client_for(place.dispatcher)
    case_id = client.post("/api/v1/cases/", report(place), format="json").json()["id"]
    if action == "suspend":
        client.post(f"/api/v1/cases/{case_id}/file/", {}, format="json")
    version = Case.objects.get(pk=case_id).version
    events = CaseEvent.objects.filter(case_id=case_id).count()
    response = client.post(f"/api/v1/cases/{case_id}/{action}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert response.json()["detail"]
    assert Case.objects.get(pk=case_id).version == version
    assert CaseEvent.objects.filter(case_id=case_id).count() == events


@pytest.mark.parametrize("case_id", ["99999999999999999999", "0", "-3", "abc", "%E2%91%A0"])
def test_an_action_on_an_id_that_is_not_a_case_is_404(catalogue, place, case_id) -> None:  # type: ignore[no-untyped-def]
    response = client_for(place.dispatcher).post(f"/api/v1/cases/{case_id}/file/", {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 0, "lng": 0}, "lat"),
        ({"lat": BEIJING[0], "lng": BEIJING[1]}, "lat"),
        ({"lat": True}, "lat"),
        ({"threshold": True}, "threshold"),
        ({"grid": 99999999999999999999}, "grid"),
        ({"code": "SD\x00X"}, "code"),
    ],
)
def test_bad_sensor_points_are_400_and_store_nothing(catalogue, place, change, field) -> None:  # type: ignore[no-untyped-def]
    scene("smoke")
    body = {"code": "SD-NEW", "type": "smoke", "lat": place.compound.centre_lat,
            "lng": place.compound.centre_lng, **change}  # fmt: skip
    response = client_for(place.admin).post("/api/v1/sensor-points/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert response.json()["detail"]
    assert not SensorPoint.objects.exists()


def test_a_sensor_point_inside_the_area_registers(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    scene("smoke")
    body = {
        "code": "SD-NEW",
        "type": "smoke",
        "lat": place.compound.centre_lat,
        "lng": place.compound.centre_lng,
    }
    response = client_for(place.admin).post("/api/v1/sensor-points/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["compound"] == place.compound.pk


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/v1/sensor-points/", "grid=99999999999999999999"),
        ("/api/v1/sensor-points/", "compound=99999999999999999999"),
        ("/api/v1/alarms/", "grid=99999999999999999999"),
        ("/api/v1/alarms/", "compound=99999999999999999999"),
        ("/api/v1/compounds/", "grid=99999999999999999999"),
        ("/api/v1/grids/", "community=99999999999999999999"),
    ],
)
def test_large_ids_in_other_lists_are_no_500(catalogue, place, url, query) -> None:  # type: ignore[no-untyped-def]
    response = client_for(place.dispatcher).get(f"{url}?{query}")
    assert response.status_code in (200, 400), (url, query, response.content)
    if response.status_code == 200:
        assert response.json()["results"] == []


def test_times_with_any_offset_iso_8601_allows_are_taken_or_refused_with_400(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    """ISO 8601 allows offsets up to ±23:59, PostgreSQL up to ±15:59: times are compared in UTC."""
    client = client_for(place.dispatcher)
    for url in ("/api/v1/cases/?created_after=2026-11-15T18:27:14%2B22:37",
                "/api/v1/dead-letters/?until=2026-11-15T18:27:14%2B22:37"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
    for url in ("/api/v1/cases/?created_after=0001-01-01T00:00:00%2B05:00",
                "/api/v1/dead-letters/?until=0001-01-01T03:00:00%2B22:37"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 400, (url, response.content)
        assert "9999" in response.json()["detail"]
