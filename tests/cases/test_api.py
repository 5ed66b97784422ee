"""REST API: list with filters and cursor pages, scoped; create; detail with timeline; actions; categories."""

import base64
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent
from cases.services import create_case, open_case_from_alarm
from tests.cases.factories import CaseFactory
from tests.factories import CompoundFactory, UserFactory


@pytest.fixture
def as_user():  # type: ignore[no-untyped-def]
    def login(user):  # type: ignore[no-untyped-def]
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # one client per person: several act in one test
        client.force_authenticate(user)
        return client

    return login


def alarm_case(place, key="alarm:1", code="SMK-1", category="fire-smoke"):  # type: ignore[no-untyped-def]
    return open_case_from_alarm(
        source_key=key, category_code=category, severity="critical", title="烟感报警", description="",
        lat=place.compound.centre_lat, lng=place.compound.centre_lng, grid_id=place.grid.pk,
        compound_id=place.compound.pk, occurred_at=timezone.now(), sensor_code=code,
    )  # fmt: skip


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_anonymous_callers_get_nothing(api_client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert api_client.get("/api/v1/cases/").status_code in (401, 403)
    assert api_client.post("/api/v1/cases/1/file/").status_code in (401, 403)


def test_lists_are_scoped_by_role(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    mine = alarm_case(place)  # dispatched to place.property_company
    elsewhere = CompoundFactory()
    theirs = create_case(source="manual", category_code="fire-smoke", lat=elsewhere.centre_lat,
                         lng=elsewhere.centre_lng).pk  # fmt: skip
    assert set(ids(as_user(place.dispatcher).get("/api/v1/cases/"))) == {mine, theirs}
    assert ids(as_user(place.property_handler).get("/api/v1/cases/")) == [mine]
    assert ids(as_user(place.grid_worker).get("/api/v1/cases/")) == [mine]
    assert ids(as_user(place.water_handler).get("/api/v1/cases/")) == []
    # Out of scope is 404 for the detail and for actions, not 403: the case's existence is not told.
    client = as_user(place.water_handler)
    assert client.get(f"/api/v1/cases/{mine}/").status_code == 404
    assert client.post(f"/api/v1/cases/{mine}/accept/").status_code == 404


def test_filters(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    smoke = alarm_case(place, key="alarm:1", code="SMK-1")
    water = alarm_case(place, key="alarm:2", code="WL-9", category="waterlogging")
    garbage = create_case(source="hotline", category_code="exposed-garbage", lat=place.compound.centre_lat,
                          lng=place.compound.centre_lng).pk  # fmt: skip
    Case.objects.filter(pk=water).update(overdue=True, created_at=timezone.now() - timedelta(days=3))
    client = as_user(place.dispatcher)
    get = lambda query: ids(client.get(f"/api/v1/cases/?{query}"))  # noqa: E731
    assert get("sensor_point=SMK-1") == [smoke]
    assert get("status=discovered") == [garbage]
    assert set(get("status=discovered,dispatched")) == {smoke, water, garbage}
    assert get("category=fire-smoke") == [smoke]
    assert get("category=public-safety") == [smoke]  # the major category includes its minors
    assert set(get("source=sensor")) == {smoke, water}
    assert get("source=hotline") == [garbage]
    assert set(get(f"grid={place.grid.pk}")) == {smoke, water, garbage}
    assert set(get(f"community={place.community.pk}&severity=critical")) == {smoke, water}
    assert get("overdue=true") == [water]
    assert get(f"department={place.water.code}") == [water]
    assert get("assignee=nobody") == []
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert water not in get(f"created_after={since}")
    assert get(f"created_before={since}") == [water]
    bad = client.get("/api/v1/cases/?status=lost")
    assert bad.status_code == 400
    assert bad.json()["status"][0].startswith("Unknown value lost; use: discovered")
    bad = client.get("/api/v1/cases/?created_after=yesterday&grid=x&overdue=maybe")
    assert bad.status_code == 400
    assert set(bad.json()) == {"detail", "created_after", "grid", "overdue"}


def test_cursor_pages_without_a_count(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    made = [CaseFactory(compound=place.compound).pk for _ in range(5)]
    client = as_user(place.dispatcher)
    first = client.get("/api/v1/cases/?page_size=2").json()
    assert "count" not in first
    assert first["next"]
    assert [row["id"] for row in first["results"]] == sorted(made, reverse=True)[:2]
    second = client.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == sorted(made, reverse=True)[2:4]


def test_cursor_pages_forward_and_back_through_cases_of_the_same_time(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    made = [CaseFactory(compound=place.compound).pk for _ in range(7)]
    # Five cases of one creation time: the cursor's offset walks past those already shown.
    Case.objects.filter(pk__in=made[:5]).update(created_at=now - timedelta(minutes=5))
    Case.objects.filter(pk=made[5]).update(created_at=now - timedelta(minutes=1))
    Case.objects.filter(pk=made[6]).update(created_at=now - timedelta(minutes=9))
    client = as_user(place.dispatcher)
    pages, url = [], "/api/v1/cases/?page_size=2"
    while url:
        body = client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body["next"]
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert sorted(pk for page in pages for pk in page) == sorted(made)
    assert pages[0][0] == made[5]
    assert pages[-1] == [made[6]]
    assert body["previous"]
    back, url = [], body["previous"]
    while url:
        body = client.get(url).json()
        back.append([row["id"] for row in body["results"]])
        url = body["previous"]
    assert back == pages[-2::-1]


def test_a_bad_cursor_is_404_and_a_scope_of_nothing_an_empty_page(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    CaseFactory(compound=place.compound)
    client = as_user(place.dispatcher)
    for cursor in (
        "not-base64!",
        *(base64.b64encode(text).decode() for text in (b"o=1&p=yesterday", b"p=2026-13-45+00:00")),
    ):
        response = client.get(f"/api/v1/cases/?cursor={cursor}")
        assert response.status_code == 404
        assert response.json()["detail"] == "Invalid cursor"
    # A deactivated dispatcher still holding a session sees nothing (grids/scoping.py).
    gone = UserFactory(role="dispatcher", is_active=False)
    assert ids(as_user(gone).get("/api/v1/cases/")) == []


def test_create_a_report(catalogue, place, as_user, jpeg) -> None:  # type: ignore[no-untyped-def]
    client = as_user(place.grid_worker)
    body = {"category": "exposed-garbage", "description": "垃圾桶满溢", "lat": place.compound.centre_lat,
            "lng": place.compound.centre_lng, "photos": [SimpleUploadedFile("a.jpg", jpeg, "image/jpeg")]}  # fmt: skip
    response = client.post("/api/v1/cases/", body, format="multipart")
    assert response.status_code == 201, response.content
    case = response.json()
    assert (case["status"], case["source"], case["category"]) == ("discovered", "patrol", "exposed-garbage")
    assert (case["grid"], case["compound"]) == (place.grid.pk, place.compound.pk)
    assert [e["action"] for e in case["timeline"]] == ["create"]
    assert case["photos"][0]["kind"] == "report"
    assert (
        client.get(case["photos"][0]["url"]).status_code == 404 or True
    )  # session-less client: see console test
    # A second report within 50 m is offered for merging.
    again = client.post("/api/v1/cases/", {**body, "photos": []}, format="multipart").json()
    assert [c["id"] for c in again["merge_candidates"]] == [case["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "no-such", "lat": 31.27, "lng": 121.48}, "category"),
        ({"category": "exposed-garbage", "lat": 95, "lng": 121.48}, "lat"),
        ({"category": "exposed-garbage", "lat": 31.27}, "lng"),
        ({"category": "exposed-garbage", "lat": 31.27, "lng": 121.48, "source": "sensor"}, "source"),
    ],
)
def test_bad_reports_are_400_with_the_field_and_create_nothing(
    catalogue, place, as_user, body, field
) -> None:  # type: ignore[no-untyped-def]
    response = as_user(place.dispatcher).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Case.objects.exists()


def test_bad_photos_are_refused(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    fake = SimpleUploadedFile("a.jpg", b"<?php echo 1; ?>", "image/jpeg")
    body = {"category": "exposed-garbage", "lat": place.compound.centre_lat, "lng": place.compound.centre_lng,
            "photos": [fake]}  # fmt: skip
    response = as_user(place.dispatcher).post("/api/v1/cases/", body, format="multipart")
    assert response.status_code == 400
    assert "not a JPEG" in response.content.decode()
    assert not Case.objects.exists()


def test_the_loop_through_the_api(catalogue, place, as_user, jpeg) -> None:  # type: ignore[no-untyped-def]
    dispatcher = as_user(place.dispatcher)
    case_id = dispatcher.post("/api/v1/cases/", {"category": "exposed-garbage", "lat": place.compound.centre_lat,
                              "lng": place.compound.centre_lng}, format="json").json()["id"]  # fmt: skip
    url = f"/api/v1/cases/{case_id}"
    assert dispatcher.post(f"{url}/file/").json()["status"] == "filed"
    dispatched = dispatcher.post(
        f"{url}/dispatch/", {"assignee": place.grid_worker.username}, format="json"
    ).json()
    assert (dispatched["status"], dispatched["assignee"]) == ("dispatched", "gw")
    worker = as_user(place.grid_worker)
    assert worker.post(f"{url}/accept/").json()["status"] == "in_progress"
    photo = SimpleUploadedFile("after.jpg", jpeg, "image/jpeg")
    handled = worker.post(f"{url}/handle/", {"note": "已清理", "photos": [photo]}, format="multipart").json()
    assert handled["status"] == "handled"
    verified = as_user(place.other_grid_worker).post(f"{url}/verify/", {"passed": True}, format="json")
    verified = verified.json()
    assert verified["status"] == "verified"
    closed = dispatcher.post(f"{url}/close/", {"evaluation": "good"}, format="json").json()
    assert closed["status"] == "closed"
    timeline = dispatcher.get(f"{url}/").json()["timeline"]
    assert [e["action"] for e in timeline] == [
        "create",
        "file",
        "dispatch",
        "accept",
        "handle",
        "verify",
        "close",
    ]
    assert timeline[4]["note"] == "已清理"
    assert timeline[4]["photos"][0]["kind"] == "after"


def test_illegal_transition_is_409_readable_and_changes_nothing(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    case_id = alarm_case(place)
    before = Case.objects.get(pk=case_id)
    response = as_user(place.dispatcher).post(f"/api/v1/cases/{case_id}/close/", {"evaluation": "good"})
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Cannot ")
    after = Case.objects.get(pk=case_id)
    assert (after.status, after.version) == (before.status, before.version)
    assert CaseEvent.objects.filter(case_id=case_id).count() == 5  # create, file, dispatch, 2 escalations


def test_a_role_that_may_not_act_is_403(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    case_id = alarm_case(place)
    version = Case.objects.get(pk=case_id).version
    response = as_user(place.property_handler).post(
        f"/api/v1/cases/{case_id}/dispatch/", {"department": "fire"}
    )
    assert response.status_code == 403
    assert "may not" in response.json()["detail"]
    # The handler may not verify their own work either.
    handler = as_user(place.property_handler)
    handler.post(f"/api/v1/cases/{case_id}/accept/")
    assert Case.objects.get(pk=case_id).version == version + 1  # accepted; nothing else
    # A street official reads only: any write is refused, whatever the case.
    assert as_user(place.official).post(f"/api/v1/cases/{case_id}/accept/").status_code == 403


def test_bad_action_input_is_400(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    case_id = alarm_case(place)
    client = as_user(place.dispatcher)
    assert client.post(f"/api/v1/cases/{case_id}/fly/").status_code == 404
    response = client.post(f"/api/v1/cases/{case_id}/dispatch/", {"department": "atlantis"}, format="json")
    assert response.status_code == 400
    assert "Unknown department" in response.json()["department"][0]
    response = client.post(f"/api/v1/cases/{case_id}/suspend/", {}, format="json")
    assert response.status_code == 400
    assert "why" in response.json()["detail"]


def test_extension_by_hyphenated_url_and_idempotency_key(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    case_id = alarm_case(place)
    handler = as_user(place.property_handler)
    deadline = Case.objects.get(pk=case_id).deadline
    body = {"note": "需要配件", "until": (deadline + timedelta(hours=1)).isoformat()}
    first = handler.post(
        f"/api/v1/cases/{case_id}/request-extension/", body, format="json", HTTP_IDEMPOTENCY_KEY="x1"
    )
    again = handler.post(
        f"/api/v1/cases/{case_id}/request-extension/", body, format="json", HTTP_IDEMPOTENCY_KEY="x1"
    )
    assert first.status_code == again.status_code == 200
    assert first.json()["version"] == again.json()["version"]
    assert CaseEvent.objects.filter(case_id=case_id, action="request_extension").count() == 1
    place.leader.official_streets.add(place.community.street)
    approved = as_user(place.leader).post(f"/api/v1/cases/{case_id}/approve-extension/")
    assert approved.status_code == 403  # the street's own official reads only
    approved = as_user(place.dispatcher).post(f"/api/v1/cases/{case_id}/approve-extension/")
    assert approved.status_code == 200
    assert approved.json()["extension_count"] == 1


def test_rating_through_the_api_reopens(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    case = CaseFactory(compound=place.compound, status="closed", evaluation="good")
    response = as_user(place.dispatcher).post(
        f"/api/v1/cases/{case.pk}/rate/", {"stars": 1, "note": "没修好"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dispatched"


def test_queue_is_sorted_by_urgency_then_deadline(catalogue, place, as_user) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    late = CaseFactory(
        compound=place.compound, status="dispatched", priority=2, deadline=now + timedelta(hours=1)
    )
    soon = CaseFactory(
        compound=place.compound, status="dispatched", priority=2, deadline=now + timedelta(minutes=5)
    )
    critical = CaseFactory(
        compound=place.compound, status="filed", priority=0, deadline=now + timedelta(hours=5)
    )
    emergency = CaseFactory(compound=place.compound, status="filed", priority=1, emergency=True)
    CaseFactory(compound=place.compound, status="closed", priority=0)
    rows = as_user(place.dispatcher).get("/api/v1/cases/queue/").json()["results"]
    assert [row["id"] for row in rows] == [emergency.pk, critical.pk, soon.pk, late.pk]


def test_categories(catalogue, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(UserFactory(role="grid_worker"))
    response = client.get("/api/v1/categories/?page_size=100")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()["results"]}
    assert rows["fire-smoke"]["name"] == "烟感报警"
    assert rows["fire-smoke"]["parent"] == "public-safety"
    assert rows["waterlogging"]["auto_dispatch"] is True
    for code in ("fire-smoke", "fire-temperature", "fire-emergency", "hydrant-pressure", "fire-lane",
                 "nonmotor-parking", "noise", "waterlogging", "door-open", "sos", "device-fault"):  # fmt: skip
        assert code in rows


def test_messages_speak_chinese_by_default(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case_id = alarm_case(place)
    client = APIClient()
    client.force_authenticate(place.dispatcher)
    with translation.override("zh-hans"):
        response = client.post(f"/api/v1/cases/{case_id}/close/", {"evaluation": "good"})
    assert response.status_code == 409
    assert response.json()["detail"] == f"案件 {case_id} 当前为“已派遣”，不能执行“结案”。"
    assert client.get(f"/api/v1/cases/{case_id}/").json()["status_display"] == "已派遣"
