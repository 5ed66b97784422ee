"""A resident without an account: report → case → handled → closed → rating; a low rating reopens the
case and asks the community to call back; the 250 m suggestion adds a report to the open case."""

import re

import pytest
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent
from cases.workflow import apply_transition
from residents.models import CallbackTask, Rating, ReportPhoto, ResidentReport
from tests.residents.conftest import jpeg_bytes, report_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/resident-reports/"


def report(client: APIClient, body: dict[str, object], **extra: object):  # type: ignore[no-untyped-def]
    return client.post(URL, body, format="multipart", **extra)


def test_a_report_becomes_a_case_that_is_followed_to_its_closing_and_rated(street, close_case) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    body = report_body(street, photos=[_file(jpeg_bytes())], phone="138 0013 8000")
    answer = report(client, body)
    assert answer.status_code == 201, answer.content
    code = answer.json()["tracking_code"]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{10}", code)
    assert answer.json()["tracking_url"].endswith(f"/report/{code}/")
    row = ResidentReport.objects.get(tracking_code=code)
    case = row.case
    assert (case.source, case.category.code, case.reporter) == ("resident", "exposed-garbage", None)
    assert row.phone == "13800138000"
    assert case.photos.filter(kind="report").count() == 1
    assert CaseEvent.objects.get(case=case, action="create").actor_role == "resident"

    followed = client.get(f"{URL}{code}/").json()
    assert [step["action"] for step in followed["steps"]] == ["create"]
    assert followed["photos"] == []
    assert followed["can_rate"] is False

    close_case(case.pk)
    followed = client.get(f"{URL}{code.lower()}/")  # typed in lower case: the same report
    assert followed.status_code == 200
    seen = followed.json()
    assert seen["status"] == "closed"
    assert seen["can_rate"] is True
    assert [step["action"] for step in seen["steps"]] == [
        "create", "file", "dispatch", "accept", "handle", "verify", "close",
    ]  # fmt: skip
    assert len(seen["photos"]) == 1
    assert client.get(seen["photos"][0]).status_code == 200
    text = followed.content.decode()
    people = [street.property_handler, street.grid_worker, street.dispatcher]
    private = ["已清运", "13800138000", *(f'"{p.username}"' for p in people), *(p.first_name for p in people)]
    for value in private:
        assert value not in text, value

    rated = client.post(f"{URL}{code}/rating/", {"stars": 5, "comment": "很快"}, format="json")
    assert rated.status_code == 201, rated.content
    case.refresh_from_db()
    assert (case.status, case.satisfaction, case.satisfaction_comment) == ("closed", 5, "很快")
    again = client.post(f"{URL}{code}/rating/", {"stars": 4}, format="json")
    assert again.status_code == 409
    assert client.get(f"{URL}{code}/").json()["rating"]["stars"] == 5


def test_one_star_reopens_the_case_and_asks_the_community_to_call_back(street, close_case) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    code = report(client, report_body(street)).json()["tracking_code"]
    case = ResidentReport.objects.get(tracking_code=code).case
    early = client.post(f"{URL}{code}/rating/", {"stars": 1}, format="json")
    assert early.status_code == 409  # not closed yet
    close_case(case.pk)
    rated = client.post(f"{URL}{code}/rating/", {"stars": 1, "comment": "还是很脏"}, format="json")
    assert rated.status_code == 201, rated.content
    assert rated.json()["reopened"] is True
    case.refresh_from_db()
    assert (case.status, case.reopen_count) == ("dispatched", 1)
    task = CallbackTask.objects.get(case=case)
    assert (task.status, task.community_id, task.rating.stars) == ("open", street.community.pk, 1)
    assert client.get(f"{URL}{code}/").json()["steps"][-1]["action"] == "reopen"
    staff = APIClient()
    staff.force_authenticate(street.grid_worker)
    (listed,) = staff.get("/api/v1/callback-tasks/").json()
    assert (listed["case"], listed["stars"], listed["comment"], listed["status"]) == (
        case.pk,
        1,
        "还是很脏",
        "open",
    )
    done = staff.post(f"/api/v1/callback-tasks/{listed['id']}/done/", {"note": "已回访"}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    # Closed again, it may be rated again.
    close_case(case.pk)
    assert client.post(f"{URL}{code}/rating/", {"stars": 4}, format="json").status_code == 201
    assert Rating.objects.filter(report__tracking_code=code).count() == 2


def test_the_250_m_suggestion_adds_the_report_to_the_open_case(street) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    body = report_body(street)
    first = report(client, body).json()["tracking_code"]
    case = ResidentReport.objects.get(tracking_code=first).case
    lat, lng = body["lat"], body["lng"]
    near_lat = float(lat) + 0.0009  # about 100 m north  # type: ignore[arg-type]
    nearby = client.get(f"{URL}nearby/", {"category": "exposed-garbage", "lat": near_lat, "lng": lng})
    assert nearby.status_code == 200, nearby.content
    assert [row["id"] for row in nearby.json()["results"]] == [case.pk]
    assert 90 <= nearby.json()["results"][0]["distance_m"] <= 110
    far = client.get(f"{URL}nearby/", {"category": "exposed-garbage", "lat": float(lat) + 0.004, "lng": lng})  # type: ignore[arg-type]
    assert far.json()["results"] == []
    other = client.get(f"{URL}nearby/", {"category": "streetlight", "lat": near_lat, "lng": lng})
    assert other.json()["results"] == []

    cases = Case.objects.count()
    joined = report(client, {**body, "lat": near_lat, "same_as": case.pk, "photos": [_file(jpeg_bytes())]})
    assert joined.status_code == 201, joined.content
    assert joined.json()["joined"] is True
    assert joined.json()["reporters"] == 2
    assert Case.objects.count() == cases
    row = ResidentReport.objects.get(tracking_code=joined.json()["tracking_code"])
    assert row.case_id == case.pk
    assert ReportPhoto.objects.filter(report=row).count() == 1
    assert client.get(f"{URL}{first}/").json()["reporters"] == 2

    too_far = report(client, {**body, "lat": float(lat) + 0.004, "same_as": case.pk})  # type: ignore[arg-type]
    assert too_far.status_code == 400
    assert "same_as" in too_far.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "fire-smoke"}, "category"),  # a case category, but not one residents choose
        ({"category": "nonsense"}, "category"),
        ({"description": "   "}, "description"),
        ({"lat": "north"}, "lat"),
        ({"lat": 0, "lng": 0}, "lat"),  # outside the district
        ({"phone": "12345"}, "phone"),
        ({"photos": [b"not an image"]}, "photos"),
    ],
)
def test_bad_input_is_a_clear_400_in_chinese(street, change, field) -> None:  # type: ignore[no-untyped-def]
    body = report_body(street, **change)
    if "photos" in change:
        body["photos"] = [_file(content) for content in change["photos"]]
    cases = Case.objects.count()
    answer = report(APIClient(), body, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 400, answer.content
    assert field in answer.json(), answer.json()
    assert re.search(r"[\u4e00-\u9fff]", answer.json()["detail"]), answer.json()["detail"]
    assert Case.objects.count() == cases


def test_an_unknown_tracking_code_is_a_404(street) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    assert client.get(f"{URL}ZZZZZZZZZZ/").status_code == 404
    assert client.post(f"{URL}ZZZZZZZZZZ/rating/", {"stars": 5}, format="json").status_code == 404


def test_a_merged_case_is_followed_in_the_case_it_was_merged_into(street, close_case) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    code = report(client, report_body(street)).json()["tracking_code"]
    mine = ResidentReport.objects.get(tracking_code=code).case
    other = report(client, report_body(street, category="streetlight")).json()["tracking_code"]
    target = ResidentReport.objects.get(tracking_code=other).case
    apply_transition(case_id=mine.pk, action="merge", actor=street.dispatcher, params={"into": target.pk})
    close_case(target.pk)
    seen = client.get(f"{URL}{code}/").json()
    assert seen["status"] == "closed"
    assert seen["can_rate"] is True
    assert "merge" in [step["action"] for step in seen["steps"]]
    assert client.post(f"{URL}{code}/rating/", {"stars": 5}, format="json").status_code == 201


def _file(content: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")
