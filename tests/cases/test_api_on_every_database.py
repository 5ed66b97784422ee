"""A case detail, a create and an action answer 2xx on the database this run uses: PostgreSQL in the
district profile, SQLite in the standalone one (run this file without DATABASE_URL for that).

The detail's timeline is read by fixed SQL; its column names once came from psycopg2's own cursor
description (`column.name`), so on SQLite every detail, create and action answered 500 after the change
was saved."""

from django.db import connection
from rest_framework.test import APIClient

from cases.models import Case, CaseEvent


def test_detail_create_and_action_answer_2xx(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(place.dispatcher)
    created = client.post(
        "/api/v1/cases/",
        {"category": "exposed-garbage", "lat": place.compound.centre_lat, "lng": place.compound.centre_lng,
         "title": "垃圾满溢"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, (connection.vendor, created.content)
    case_id = created.json()["id"]
    assert [event["action"] for event in created.json()["timeline"]] == ["create"]

    detail = client.get(f"/api/v1/cases/{case_id}/")
    assert detail.status_code == 200, (connection.vendor, detail.content)
    assert detail.json()["timeline"][0]["actor"] == place.dispatcher.username

    filed = client.post(f"/api/v1/cases/{case_id}/file/", {"note": "属实"}, format="json")
    assert filed.status_code == 200, (connection.vendor, filed.content)
    assert [event["action"] for event in filed.json()["timeline"]] == ["create", "file"]
    assert Case.objects.get(pk=case_id).status == "filed"
    assert CaseEvent.objects.filter(case_id=case_id).count() == 2
