"""Open311 GeoReport v2 driven as a client does (form-encoded posts, JSON and XML answers): discover the
services, read a definition, post a request anonymously and with an api_key, list and filter requests,
read one, follow it to its closing; the spec's error array for what is wrong."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from residents.models import ResidentReport
from residents.services import register_open311_client
from tests.residents.conftest import jpeg_bytes

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"


def _xml(content: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(content)  # noqa: S314  (our own answer, not untrusted input)


def _post(client: Client, street, **fields):  # type: ignore[no-untyped-def]
    compound = street.compound
    body = {
        "service_code": "streetlight", "lat": str(compound.centre_lat), "long": str(compound.centre_lng),
        "address_string": "广中路 1 号", "description": "路灯不亮", "attribute[landmark]": "公交站旁", **fields,
    }  # fmt: skip
    return client.post(f"{BASE}/requests.json", body)


def test_an_open311_client_discovers_posts_lists_and_follows_a_request(street, close_case) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    services = client.get(f"{BASE}/services.json").json()
    streetlight = next(s for s in services if s["service_code"] == "streetlight")
    assert streetlight["group"] == "公用设施"
    assert streetlight["metadata"] is True
    assert "路灯" in streetlight["keywords"]
    assert "fire-smoke" not in [s["service_code"] for s in services]
    definition = client.get(f"{BASE}/services/streetlight.json").json()
    assert definition["service_code"] == "streetlight"
    assert [a["code"] for a in definition["attributes"]] == ["landmark"]

    photo = SimpleUploadedFile("media.jpg", jpeg_bytes(), content_type="image/jpeg")
    posted = _post(client, street, media=photo)
    assert posted.status_code == 201, posted.content
    (created,) = posted.json()
    request_id = created["service_request_id"]
    report = ResidentReport.objects.get(tracking_code=created["tracking_code"])
    assert (report.channel, str(report.case_id)) == ("open311", request_id)
    assert report.case.address == "广中路 1 号"
    assert "公交站旁" in report.description

    (one,) = client.get(f"{BASE}/requests/{request_id}.json").json()
    assert one["status"] == "open"
    assert one["service_code"] == "streetlight"
    assert one["requested_datetime"].endswith("+08:00")
    assert one["media_url"].startswith("http://testserver/report/photos/")
    assert client.get(one["media_url"]).status_code == 200
    listed = client.get(f"{BASE}/requests.json", {"service_code": "streetlight", "status": "open"}).json()
    assert request_id in [r["service_request_id"] for r in listed]
    assert client.get(f"{BASE}/requests.json", {"status": "closed"}).json() == []
    by_id = client.get(
        f"{BASE}/requests.json", {"service_request_id": f"{request_id},999999", "status": "closed"}
    )
    assert [r["service_request_id"] for r in by_id.json()] == [request_id]  # the ids override the rest

    close_case(report.case_id)
    (closed,) = client.get(f"{BASE}/requests/{request_id}.json").json()
    assert closed["status"] == "closed"
    assert closed["agency_responsible"] == street.property_company.name
    assert closed["expected_datetime"] is None


def test_xml_answers_carry_the_specs_element_names(street) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    services = _xml(client.get(f"{BASE}/services.xml").content)
    assert services.tag == "services"
    assert services.find("service/service_code") is not None
    definition = _xml(client.get(f"{BASE}/services/noise.xml").content)
    assert definition.findtext("attributes/attribute/code") == "landmark"
    compound = street.compound
    body = {
        "service_code": "noise",
        "lat": compound.centre_lat,
        "long": compound.centre_lng,
        "description": "夜间施工",
    }
    posted = _xml(client.post(f"{BASE}/requests.xml", body).content)
    request_id = posted.findtext("request/service_request_id")
    one = _xml(client.get(f"{BASE}/requests/{request_id}.xml").content)
    assert one.tag == "service_requests"
    assert one.findtext("request/status") == "open"
    error = _xml(client.get(f"{BASE}/requests/999999.xml").content)
    assert error.findtext("error/code") == "404"


def test_an_api_key_is_checked_and_has_its_own_limit(street, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RESIDENT_LIMITS = {"report_per_address": (1, 3600)}
    _app, key = register_open311_client(name="市民 App")
    client = Client()
    assert _post(client, street).status_code == 201  # anonymous: the address's one report
    refused = _post(client, street)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()[0]["code"] == 429
    assert _post(client, street, api_key=key).status_code == 201  # the application's own limit
    bad = _post(client, street, api_key="not-a-key")
    assert bad.status_code == 403
    assert bad.json()[0]["code"] == 403


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/services/fire-smoke.json", 404),
        ("/requests/123456.json", 404),
        ("/requests.json?status=maybe", 400),
        ("/requests.json?start_date=yesterday", 400),
        ("/requests.json?service_request_id=1,abc", 400),
    ],
)
def test_bad_reads_answer_the_error_array(street, url, status) -> None:  # type: ignore[no-untyped-def]
    answer = Client().get(f"{BASE}{url}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == status
    (error,) = answer.json()
    assert error["code"] == status
    assert error["description"]


def test_bad_posts_and_long_ranges_answer_400(street) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    for fields in (
        {"service_code": "fire-smoke"},
        {"lat": ""},
        {"lat": "0", "long": "0"},
        {"description": "", "attribute[landmark]": ""},
    ):
        answer = _post(client, street, **fields)
        assert answer.status_code == 400, (fields, answer.content)
        assert answer.json()[0]["code"] == 400
    start = (timezone.now() - timedelta(days=120)).isoformat()
    assert client.get(f"{BASE}/requests.json", {"start_date": start}).status_code == 400
