"""Retry-safe writes: an Idempotency-Key makes a repeated create or action harmless, and a write that
committed never answers 5xx (a client that sees a 5xx sends it again: nine identical cases appeared so).

The key rule lives in cases/idempotency.py; the API's create and every case action use it."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from cases.idempotency import KEPT_FOR
from cases.models import Case, CaseEvent, IdempotentRequest
from cases.services import sweep_deadlines


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def report(place, **extra):  # type: ignore[no-untyped-def]
    return {"category": "exposed-garbage", "lat": place.compound.centre_lat, "lng": place.compound.centre_lng,
            "title": "垃圾满溢", **extra}  # fmt: skip


def test_a_create_sent_again_with_its_key_answers_the_first_answer(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    client = client_for(place.dispatcher)
    answers = [
        client.post("/api/v1/cases/", report(place), format="json", HTTP_IDEMPOTENCY_KEY="phone-1:report-7")
        for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert "Idempotent-Replayed" not in answers[0]
    assert answers[2]["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    # Without a key every request is a new one.
    assert client.post("/api/v1/cases/", report(place), format="json").status_code == 201
    assert Case.objects.count() == 2


def test_an_action_sent_again_changes_nothing_and_answers_the_same(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    client = client_for(place.dispatcher)
    case_id = client.post("/api/v1/cases/", report(place), format="json").json()["id"]
    url = f"/api/v1/cases/{case_id}/file/"
    first = client.post(url, {"note": "属实"}, format="json", HTTP_IDEMPOTENCY_KEY="file-1")
    again = client.post(url, {"note": "属实"}, format="json", HTTP_IDEMPOTENCY_KEY="file-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert CaseEvent.objects.filter(case_id=case_id, action="file").count() == 1
    assert Case.objects.get(pk=case_id).version == first.json()["version"]


def test_the_same_key_with_another_request_is_422_in_chinese_and_changes_nothing(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    client = client_for(place.dispatcher)
    case_id = client.post("/api/v1/cases/", report(place), format="json").json()["id"]
    client.post(f"/api/v1/cases/{case_id}/file/", {"note": "属实"}, format="json", HTTP_IDEMPOTENCY_KEY="k-9")
    version = Case.objects.get(pk=case_id).version
    with translation.override("zh-hans"):
        chinese = APIClient()
        chinese.force_authenticate(place.dispatcher)
        other_body = chinese.post(
            f"/api/v1/cases/{case_id}/file/", {"note": "另一个"}, format="json", HTTP_IDEMPOTENCY_KEY="k-9"
        )
        other_path = chinese.post(
            f"/api/v1/cases/{case_id}/dispatch/", {"note": "属实"}, format="json", HTTP_IDEMPOTENCY_KEY="k-9"
        )
    for response in (other_body, other_path):
        assert response.status_code == 422
        assert "幂等键" in response.json()["detail"]
    assert Case.objects.get(pk=case_id).version == version
    assert Case.objects.get(pk=case_id).status == "filed"


def test_keys_belong_to_their_user(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    first = client_for(place.dispatcher).post("/api/v1/cases/", report(place), format="json",
                                              HTTP_IDEMPOTENCY_KEY="same")  # fmt: skip
    second = client_for(place.admin).post("/api/v1/cases/", report(place), format="json",
                                          HTTP_IDEMPOTENCY_KEY="same")  # fmt: skip
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_a_refused_request_may_be_corrected_and_sent_with_its_key(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    client = client_for(place.dispatcher)
    refused = client.post(
        "/api/v1/cases/", report(place, lat=0, lng=0), format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    assert refused.status_code == 400
    corrected = client.post("/api/v1/cases/", report(place), format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert corrected.status_code == 201
    assert Case.objects.count() == 1


def test_a_key_is_kept_a_day(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    client = client_for(place.dispatcher)
    client.post("/api/v1/cases/", report(place), format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotentRequest.objects.update(created_at=IdempotentRequest.objects.get().created_at - KEPT_FOR
                                     - timedelta(seconds=1))  # fmt: skip
    # A day later the key is free again: this is a new request.
    again = client.post(
        "/api/v1/cases/", report(place, title="又一处"), format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    assert again.status_code == 201
    assert Case.objects.count() == 2
    # The deadline sweep forgets the answers older than a day.
    IdempotentRequest.objects.update(created_at=IdempotentRequest.objects.get().created_at - 2 * KEPT_FOR)
    assert sweep_deadlines()["forgotten"] == 1
    assert not IdempotentRequest.objects.exists()


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "换行\n"])
def test_an_unusable_key_is_400(catalogue, place, key) -> None:  # type: ignore[no-untyped-def]
    client = client_for(place.dispatcher)
    response = client.post("/api/v1/cases/", report(place), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Case.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_write_once(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    """Two phones' retries arrive together: the unique (user, key) makes the second wait for the first and
    answer its answer."""
    if connection.vendor == "sqlite":
        # The test database is SQLite's shared in-memory one, which fails a second writer at once
        # (SQLITE_LOCKED); the standalone profile's file database makes it wait (settings: timeout 30).
        pytest.skip("concurrent writers need PostgreSQL or a file database")
    barrier = threading.Barrier(4)
    answers: list[tuple[int, int]] = []

    def send() -> None:
        try:
            client = client_for(place.dispatcher)
            barrier.wait(timeout=10)
            response = client.post(
                "/api/v1/cases/", report(place), format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
            answers.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 4
    assert {status for status, _ in answers} == {201}
    assert len({case_id for _, case_id in answers}) == 1
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_commit_is_logged_and_the_write_answers_2xx(
    catalogue, place, settings, caplog
) -> None:  # type: ignore[no-untyped-def]
    """The realtime send runs after the commit; here it fails for real (a channel layer that cannot be
    loaded). The case was saved: the answer is 201 with it, and the failure is in the log."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "command_center.no_such_module.NoLayer"}}
    client = client_for(place.dispatcher)
    client.raise_request_exception = False  # an error inside the view shows as the 500 a phone would see
    with caplog.at_level(logging.ERROR):
        created = client.post("/api/v1/cases/", report(place), format="json", HTTP_IDEMPOTENCY_KEY="c-1")
        assert created.status_code == 201, created.content
        case_id = created.json()["id"]
        assert Case.objects.filter(pk=case_id).exists()
        filed = client.post(f"/api/v1/cases/{case_id}/file/", {}, format="json")
        assert filed.status_code == 200, filed.content
        assert filed.json()["status"] == Case.objects.get(pk=case_id).status == "filed"
    assert any("after the commit" in record.getMessage() for record in caplog.records)
    # The retry a phone sends anyway gets the same answer and makes no second case.
    again = client.post("/api/v1/cases/", report(place), format="json", HTTP_IDEMPOTENCY_KEY="c-1")
    assert (again.status_code, again.json()["id"]) == (201, case_id)
    assert Case.objects.count() == 1
