"""The public pages: /report/ and /report/<tracking_code>/ without an account, in Chinese, scripts from
files only; public photos are the resident's own and the handler's after handling, nothing else."""

import json
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cases.models import CasePhoto
from cases.photos import PhotoUpload
from cases.workflow import apply_transition
from residents.models import ResidentReport
from tests.residents.conftest import jpeg_bytes, report_body

pytestmark = pytest.mark.django_db


def _json(text: str) -> str:
    return json.dumps(text)[1:-1]


def _inline_scripts(html: str) -> list[str]:
    return [
        s for s in re.findall(r"<script([^>]*)>", html) if "src=" not in s and "application/json" not in s
    ]


def test_the_report_page_needs_no_account_and_lists_the_resident_categories(street) -> None:  # type: ignore[no-untyped-def]
    page = Client().get("/report/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    html = page.content.decode()
    assert "我要反映问题" in html
    assert _json("暴露垃圾") in html  # in the page's options (json_script)
    assert _json("烟感报警") not in html  # a sensor category is not the residents'
    assert not _inline_scripts(html)
    assert "residents/report.js" in html


def test_the_tracking_page_shows_the_timeline_and_the_rating_form_after_closing(street, close_case) -> None:  # type: ignore[no-untyped-def]
    code = APIClient().post("/api/v1/resident-reports/", report_body(street)).json()["tracking_code"]
    client = Client()
    before = client.get(f"/report/{code}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已收到反映" in before
    assert 'id="r-rating"' not in before
    close_case(ResidentReport.objects.get(tracking_code=code).case_id)
    after = client.get(f"/report/{code}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已结案" in after
    assert 'id="r-rating"' in after
    assert "/report/photos/" in after
    assert not _inline_scripts(after)
    assert client.get("/report/ZZZZZZZZZZ/").status_code == 404


def test_only_public_photos_are_served(street) -> None:  # type: ignore[no-untyped-def]
    answer = APIClient().post("/api/v1/resident-reports/", report_body(street))
    case = ResidentReport.objects.get(tracking_code=answer.json()["tracking_code"]).case
    apply_transition(case_id=case.pk, action="file", actor=street.dispatcher)
    apply_transition(
        case_id=case.pk, action="dispatch", actor=street.dispatcher, params={"department": "prop-a"}
    )
    apply_transition(
        case_id=case.pk, action="accept", actor=street.property_handler,
        photos=[PhotoUpload(content=jpeg_bytes(), kind="before")],
    )  # fmt: skip
    before = CasePhoto.objects.get(case=case, kind="before")
    assert Client().get(f"/report/photos/{before.pk}/").status_code == 404
    apply_transition(
        case_id=case.pk,
        action="handle",
        actor=street.property_handler,
        photos=[PhotoUpload(content=jpeg_bytes())],
    )
    after = CasePhoto.objects.get(case=case, kind="after")
    served = Client().get(f"/report/photos/{after.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"


def test_the_area_lists_the_compounds_outlines(street) -> None:  # type: ignore[no-untyped-def]
    area = Client().get("/report/area.json").json()
    assert area["type"] == "FeatureCollection"
    assert street.compound.name in [f["properties"]["name"] for f in area["features"]]
