"""The case list and detail answer field for field what the models say.

The API builds these answers from values and fixed SQL for speed (bench/cases_api.py); here every field
is derived again the plain way, from model instances, for a case with a department, an assignee, a
handler, photos on events and on the case, and escalation steps.
"""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import workflow
from cases.api.serializers import TARGET_LABELS, CaseDetailSerializer, CaseListSerializer, action_label
from cases.models import Case, CaseEscalation, CaseEvent, CasePhoto
from cases.selectors import LIST_VALUES, related_names
from cases.services import create_case, open_case_from_alarm
from tests.factories import UserFactory


def local(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def expected_row(case: Case) -> dict[str, Any]:
    return {
        **{name: getattr(case, name) for name in [
            "id", "title", "status", "severity", "priority", "emergency", "source", "lat", "lng", "overdue",
            "version", "alarm_count"]},
        **{name: local(getattr(case, name)) for name in ["deadline", "occurred_at", "created_at", "updated_at"]},
        "status_display": str(case.get_status_display()),  # type: ignore[attr-defined]
        "severity_display": str(case.get_severity_display()),  # type: ignore[attr-defined]
        "category": case.category.code,
        "category_name": case.category.name,
        "place": case.compound.name if case.compound else case.grid.name if case.grid else case.address,
        "grid": case.grid_id,
        "community": case.community_id,
        "compound": case.compound_id,
        "department": case.department.code if case.department else None,
        "department_name": case.department.name if case.department else None,
        "assignee": case.assignee.username if case.assignee else None,
        "assignee_name": str(case.assignee) if case.assignee else None,
        "sensor_point": case.sensor_code,
    }  # fmt: skip


def photo(item: CasePhoto) -> dict[str, Any]:
    return {
        "id": item.pk, "kind": item.kind, "url": reverse("console-photo", args=[item.pk]),
        "content_type": item.content_type, "size": item.size, "lat": item.lat, "lng": item.lng,
        "taken_at": local(item.taken_at), "uploaded_at": local(item.uploaded_at),
    }  # fmt: skip


def expected_detail(case: Case, user: Any) -> dict[str, Any]:
    events = CaseEvent.objects.filter(case=case).order_by("at", "id")
    photos = CasePhoto.objects.filter(case=case).order_by("uploaded_at", "id")
    return {
        **expected_row(case),
        **{name: getattr(case, name) for name in [
            "description", "address", "status_before_suspend", "ever_overdue", "suspended_seconds",
            "extension_reason", "extension_count", "rework_count", "return_count", "reopen_count",
            "reject_reason", "evaluation", "satisfaction", "satisfaction_comment", "source_key"]},
        **{name: local(getattr(case, name)) for name in [
            "file_deadline", "dispatch_deadline", "handle_deadline", "verify_deadline", "filed_at",
            "dispatched_at", "accepted_at", "handled_at", "verified_at", "closed_at", "extension_until",
            "last_alarm_at", "sensor_normal_since"]},
        "merged_into": case.merged_into_id,
        "handled_by": case.handled_by.username if case.handled_by else None,
        "timeline": [
            {
                "id": event.pk, "at": local(event.at), "action": event.action,
                "action_display": action_label(event.action), "from_status": event.from_status,
                "to_status": event.to_status, "actor": event.actor.username if event.actor else None,
                "actor_name": str(event.actor) if event.actor else str(workflow.ROLE_LABELS[event.actor_role]),
                "actor_role": event.actor_role, "note": event.note, "data": event.data,
                "time_used_seconds": event.time_used_seconds, "overdue": event.overdue,
                "photos": [photo(item) for item in photos if item.event_id == event.pk],
            }
            for event in events
        ],
        "photos": [photo(item) for item in photos],
        "escalations": [
            {
                "position": step.position, "anchor": step.anchor, "after_minutes": step.after_minutes,
                "target": step.target, "target_display": str(TARGET_LABELS[step.target]),
                "channels": step.channels, "until": step.until, "state": step.state,
                "due_at": local(step.due_at), "fire_count": step.fire_count,
                "last_fired_at": local(step.last_fired_at),
            }
            for step in CaseEscalation.objects.filter(case=case).order_by("position")
        ],
        "allowed_actions": workflow.allowed_actions(case, user),
        "merge_candidates": [],
    }  # fmt: skip


def test_list_and_detail_answer_what_the_models_say(catalogue, place, jpeg) -> None:  # type: ignore[no-untyped-def]
    case_id = open_case_from_alarm(
        source_key="alarm:1", category_code="fire-smoke", severity="critical", title="烟感报警", description="",
        lat=place.compound.centre_lat, lng=place.compound.centre_lng, grid_id=place.grid.pk,
        compound_id=place.compound.pk, occurred_at=timezone.now(), sensor_code="SMK-1",
    )  # fmt: skip
    handler = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    handler.force_authenticate(place.property_handler)
    assert handler.post(f"/api/v1/cases/{case_id}/accept/").status_code == 200
    after = SimpleUploadedFile("after.jpg", jpeg, "image/jpeg")
    response = handler.post(
        f"/api/v1/cases/{case_id}/handle/", {"note": "查看", "photos": [after]}, format="multipart"
    )
    assert response.status_code == 200, response.content
    CasePhoto.objects.create(case_id=case_id, kind="report", content_type="image/jpeg", size=3, file="x.jpg")
    CaseEvent.objects.filter(case_id=case_id, action="accept").update(data={"via": "api", "n": [1, 2]})
    named = UserFactory(username="zhang", first_name="三", last_name="张")
    Case.objects.filter(pk=case_id).update(assignee=named)
    step = CaseEscalation.objects.filter(case_id=case_id).order_by("position")[:1].get()
    CaseEscalation.objects.filter(pk=step.pk).update(fire_count=1, last_fired_at=timezone.now())

    case = Case.objects.get(pk=case_id)
    assert case.escalations.exists()
    assert case.department_id
    assert case.handled_by_id
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(place.dispatcher)
    detail = client.get(f"/api/v1/cases/{case_id}/").json()
    detail.pop("now")
    assert detail == expected_detail(case, place.dispatcher)
    assert any(event["photos"] for event in detail["timeline"])
    assert len(detail["photos"]) == 2
    assert client.get("/api/v1/cases/").json()["results"] == [expected_row(case)]
    assert client.get("/api/v1/cases/queue/").json()["results"] == [expected_row(case)]
    # A scoped caller: the case lies in the grid worker's grid, and not in the water department's.
    worker = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    worker.force_authenticate(place.grid_worker)
    detail = worker.get(f"/api/v1/cases/{case_id}/").json()
    detail.pop("now")
    assert detail == expected_detail(case, place.grid_worker)
    outsider = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    outsider.force_authenticate(place.water_handler)
    assert outsider.get(f"/api/v1/cases/{case_id}/").status_code == 404


def test_related_names_by_arrays_or_one_parameter_per_id(place) -> None:  # type: ignore[no-untyped-def]
    worker = place.grid_worker
    expected = {
        ("grid", place.grid.pk): ("", place.grid.name, ""),
        ("department", place.water.pk): (place.water.code, place.water.name, ""),
        ("user", worker.pk): (worker.username, worker.first_name, worker.last_name),
    }
    # PostgreSQL takes both ways; SQLite (the standalone profile) only the second.
    for arrays in (True, False) if connection.vendor == "postgresql" else (False,):
        given = related_names(
            grids=[place.grid.pk, None], departments=[place.water.pk], users=[worker.pk, 0], arrays=arrays
        )
        assert given == expected
        assert related_names(users=[None], arrays=arrays) == {}


def test_a_detail_that_is_not_there_is_404(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(place.dispatcher)
    for pk in ["0", "-1", "abc", "99999999999999999999", "123456"]:
        response = client.get(f"/api/v1/cases/{pk}/")
        assert response.status_code == 404, pk
        detail = "Not found." if pk == "abc" else "No Case matches the given query."
        assert response.json() == {"detail": detail}, pk


def test_many_details_are_details_and_many_rows_are_rows(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case = create_case(source="manual", category_code="exposed-garbage", lat=place.compound.centre_lat,
                       lng=place.compound.centre_lng)  # fmt: skip
    rows = CaseListSerializer(Case.objects.filter(pk=case.pk).values(*LIST_VALUES), many=True).data
    assert rows == [expected_row(case)]
    details = CaseDetailSerializer([case], many=True).data
    assert [detail["timeline"][0]["action"] for detail in details] == ["create"]
