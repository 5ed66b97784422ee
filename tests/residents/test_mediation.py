"""Dispute mediation: a resident's report becomes a mediation order; sessions; an agreement with its PDF;
the follow-up 30 days later; the resolution rate; parties masked for roles that do not need them."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from residents.models import MediationOrder, Mediator
from residents.selectors import mediation_summary
from tests.residents.conftest import report_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/mediations/"


def _staff(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def _order_body(**fields: object) -> dict[str, object]:
    return {
        "type": "noise",
        "summary": "楼上夜间跳绳，楼下老人无法入睡。",
        "parties": [
            {"side": "applicant", "name": "王建华", "phone": "13912345678", "address": "3号楼201"},
            {"side": "respondent", "name": "李明", "phone": "13812345678", "address": "3号楼301"},
        ],
        **fields,
    }


def test_a_report_becomes_an_order_that_ends_in_an_agreement_pdf_and_a_follow_up(street) -> None:  # type: ignore[no-untyped-def]
    code = (
        APIClient()
        .post("/api/v1/resident-reports/", report_body(street, category="noise"))
        .json()["tracking_code"]
    )
    volunteer = Mediator.objects.create(name="赵阿姨", kind="volunteer", community=street.community)
    assert [m["name"] for m in _staff(street.dispatcher).get("/api/v1/mediators/").json()] == ["赵阿姨"]
    dispatcher = _staff(street.dispatcher)
    opened = dispatcher.post(URL, _order_body(tracking_code=code, mediator=volunteer.pk), format="json")
    assert opened.status_code == 201, opened.content
    order = opened.json()
    assert (order["status"], order["mediator"], order["community"]) == ("open", "赵阿姨", street.community.pk)
    assert order["parties"][0]["name"] == "王建华"

    session = {
        "at": timezone.now().isoformat(),
        "place": "社区调解室",
        "attendees": "双方、调解员",
        "notes": "各自陈述",
    }
    assert dispatcher.post(f"{URL}{order['id']}/sessions/", session, format="json").status_code == 200
    agreed = dispatcher.post(
        f"{URL}{order['id']}/outcome/",
        {"agreed": True, "agreement": "一、晚上九点后不再跳绳；\n二、地面加铺隔音垫。"},
        format="json",
    )
    assert agreed.status_code == 200, agreed.content
    done = agreed.json()
    assert done["status"] == "agreed"
    assert done["follow_up_due"] == (timezone.localdate() + timedelta(days=30)).isoformat()
    pdf = Client()
    pdf.force_login(street.dispatcher)
    document = pdf.get(done["agreement_url"])
    assert document.status_code == 200
    assert document["Content-Type"] == "application/pdf"
    assert b"".join(document.streaming_content).startswith(b"%PDF")
    assert dispatcher.get(URL, {"due": "true"}).json() == []  # due in 30 days
    MediationOrder.objects.filter(pk=order["id"]).update(follow_up_due=timezone.localdate())
    assert [o["id"] for o in dispatcher.get(URL, {"due": "true"}).json()] == [order["id"]]
    again = dispatcher.post(f"{URL}{order['id']}/outcome/", {"agreed": False}, format="json")
    assert again.status_code == 409

    followed = dispatcher.post(
        f"{URL}{order['id']}/follow-up/", {"result": "held", "note": "已无噪声"}, format="json"
    )
    assert followed.status_code == 200
    assert followed.json()["follow_up"] == "held"
    assert mediation_summary()["resolution_rate"] == 1.0


def test_not_reached_is_referred_and_counts_against_the_resolution_rate(street) -> None:  # type: ignore[no-untyped-def]
    dispatcher = _staff(street.dispatcher)
    first = dispatcher.post(URL, _order_body(), format="json").json()["id"]
    second = dispatcher.post(URL, _order_body(type="parking"), format="json").json()["id"]
    early = dispatcher.post(f"{URL}{first}/follow-up/", {"result": "held"}, format="json")
    assert early.status_code == 409  # a follow-up comes after the outcome
    assert dispatcher.post(f"{URL}{first}/outcome/", {"agreed": True}, format="json").status_code == 400
    dispatcher.post(f"{URL}{first}/outcome/", {"agreed": True, "agreement": "各退一步"}, format="json")
    referred = dispatcher.post(
        f"{URL}{second}/outcome/", {"agreed": False, "note": "分歧大"}, format="json"
    ).json()
    assert (referred["status"], referred["level"], referred["agreement_url"]) == (
        "referred",
        "committee",
        None,
    )
    summary = mediation_summary()
    assert (summary["orders"], summary["agreed"], summary["referred"], summary["resolution_rate"]) == (
        2,
        1,
        1,
        0.5,
    )


def test_parties_are_masked_for_roles_that_do_not_need_them(street) -> None:  # type: ignore[no-untyped-def]
    order = _staff(street.dispatcher).post(URL, _order_body(), format="json").json()["id"]
    seen = _staff(street.grid_worker).get(f"{URL}{order}/").json()["parties"]
    assert [(p["name"], p["phone"], p["address"]) for p in seen] == [
        ("王*华", "139****5678", ""),
        ("李*", "138****5678", ""),
    ]
    mediator_user = Mediator.objects.create(name="社区干部", kind="staff", user=street.grid_worker)
    MediationOrder.objects.filter(pk=order).update(mediator=mediator_user)
    assert _staff(street.grid_worker).get(f"{URL}{order}/").json()["parties"][0]["name"] == "王建华"
    assert _staff(street.property_handler).get(f"{URL}{order}/").status_code == 403
    assert _staff(street.leader).post(URL, _order_body(), format="json").status_code == 403
    assert APIClient().get(URL).status_code == 401


def test_an_order_needs_both_sides_and_a_summary(street) -> None:  # type: ignore[no-untyped-def]
    dispatcher = _staff(street.dispatcher)
    one_side = _order_body(parties=[{"side": "applicant", "name": "王建华"}])
    answer = dispatcher.post(URL, one_side, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 400
    assert "parties" in answer.json()
    assert dispatcher.post(URL, _order_body(summary="  "), format="json").status_code == 400
    assert dispatcher.get(f"{URL}999999/").status_code == 404
