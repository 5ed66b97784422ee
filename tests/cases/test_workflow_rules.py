"""The workflow's own rules: who verifies, evidence, hydrant sensor rule, suspension clock, extension,
rework, return, merge, reopen by rating (retries: tests/cases/test_idempotency.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CasePhoto
from cases.photos import PhotoUpload
from cases.services import create_case, note_sensor_normal, open_case_from_alarm, rate_case
from cases.workflow import ActionForbidden, BadInput, IllegalTransition, apply_transition


def smoke_case(place, **overrides) -> Case:  # type: ignore[no-untyped-def]
    fields = {
        "source": "patrol",
        "category_code": "fire-smoke",
        "lat": place.compound.centre_lat,
        "lng": place.compound.centre_lng,
        "reporter": place.grid_worker,
    }
    fields.update(overrides)
    return create_case(**fields)


def test_a_handled_case_is_never_verified_by_its_handler(catalogue, place, jpeg) -> None:  # type: ignore[no-untyped-def]
    case = smoke_case(place, category_code="nonmotor-parking")  # assigned to the on-duty grid worker
    assert (case.status, case.assignee) == ("dispatched", place.grid_worker)
    apply_transition(case_id=case.pk, action="accept", actor=place.grid_worker)
    apply_transition(case_id=case.pk, action="handle", actor=place.grid_worker, photos=[PhotoUpload(jpeg)])
    with pytest.raises(ActionForbidden, match="handled a case may not verify"):
        apply_transition(case_id=case.pk, action="verify", actor=place.grid_worker, params={"passed": True})
    # A grid worker of the same grid who did not handle it may.
    done = apply_transition(
        case_id=case.pk, action="verify", actor=place.other_grid_worker, params={"passed": True}
    )
    assert done.status == "verified"


def test_handling_needs_the_after_photo_the_category_asks_for(catalogue, place, jpeg) -> None:  # type: ignore[no-untyped-def]
    case = smoke_case(place)
    apply_transition(case_id=case.pk, action="accept", actor=place.property_handler)
    with pytest.raises(BadInput, match="photo after handling"):
        apply_transition(case_id=case.pk, action="handle", actor=place.property_handler)
    with pytest.raises(BadInput, match="not a JPEG"):
        apply_transition(
            case_id=case.pk, action="handle", actor=place.property_handler, photos=[PhotoUpload(b"GIF89a...")]
        )
    assert Case.objects.get(pk=case.pk).status == "in_progress"
    photo = PhotoUpload(
        jpeg, lat=place.compound.centre_lat, lng=place.compound.centre_lng, taken_at=timezone.now()
    )
    handled = apply_transition(case_id=case.pk, action="handle", actor=place.property_handler, photos=[photo])
    assert handled.status == "handled"
    stored = CasePhoto.objects.get(case=case)
    assert (stored.kind, stored.content_type, stored.event.action) == ("after", "image/jpeg", "handle")
    assert stored.file.read() == jpeg


def test_a_failed_verification_is_rework(catalogue, place, jpeg) -> None:  # type: ignore[no-untyped-def]
    case = smoke_case(place)
    apply_transition(case_id=case.pk, action="accept", actor=place.property_handler)
    apply_transition(
        case_id=case.pk, action="handle", actor=place.property_handler, photos=[PhotoUpload(jpeg)]
    )
    with pytest.raises(BadInput, match="still wrong"):
        apply_transition(case_id=case.pk, action="verify", actor=place.grid_worker, params={"passed": False})
    reworked = apply_transition(
        case_id=case.pk, action="verify", actor=place.grid_worker, params={"passed": False}, note="仍有烟味"
    )
    assert (reworked.status, reworked.rework_count) == ("dispatched", 1)
    assert reworked.deadline is not None
    assert reworked.deadline > timezone.now()


def test_return_goes_back_to_filed_with_a_reason(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case = smoke_case(place)
    with pytest.raises(BadInput, match="why"):
        apply_transition(case_id=case.pk, action="return", actor=place.property_handler)
    returned = apply_transition(
        case_id=case.pk, action="return", actor=place.property_handler, note="不属于本小区"
    )
    assert (returned.status, returned.return_count, returned.department_id) == ("filed", 1, None)
    # Another department's handler may not act on a case that is not theirs.
    apply_transition(
        case_id=case.pk, action="dispatch", actor=place.dispatcher, params={"department": "water"}
    )
    with pytest.raises(ActionForbidden, match="not assigned to you"):
        apply_transition(case_id=case.pk, action="accept", actor=place.property_handler)
    assert (
        apply_transition(case_id=case.pk, action="accept", actor=place.water_handler).assignee
        == place.water_handler
    )


def test_dispatch_input_is_checked(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case = smoke_case(place)
    apply_transition(case_id=case.pk, action="return", actor=place.property_handler, note="x")
    with pytest.raises(BadInput, match="Unknown department"):
        apply_transition(
            case_id=case.pk, action="dispatch", actor=place.dispatcher, params={"department": "nope"}
        )
    with pytest.raises(BadInput, match="not a grid worker or department handler"):
        apply_transition(
            case_id=case.pk, action="dispatch", actor=place.dispatcher, params={"assignee": "leader"}
        )
    # A person alone: their department comes along.
    done = apply_transition(
        case_id=case.pk,
        action="dispatch",
        actor=place.dispatcher,
        params={"assignee": place.water_handler.username},
    )
    assert (done.assignee, done.department) == (place.water_handler, place.water)


def test_hydrant_verification_needs_the_sensor_normal_for_ten_minutes(catalogue, place, jpeg) -> None:  # type: ignore[no-untyped-def]
    case_id = open_case_from_alarm(
        source_key="alarm:77",
        category_code="hydrant-pressure",
        severity="major",
        title="消防栓水压低",
        description="0.08 MPa",
        lat=place.compound.centre_lat,
        lng=place.compound.centre_lng,
        grid_id=place.grid.pk,
        compound_id=place.compound.pk,
        occurred_at=timezone.now(),
    )
    apply_transition(case_id=case_id, action="accept", actor=place.water_handler)
    apply_transition(case_id=case_id, action="handle", actor=place.water_handler)
    with pytest.raises(IllegalTransition, match="10 minutes"):
        apply_transition(case_id=case_id, action="verify", actor=place.grid_worker, params={"passed": True})
    note_sensor_normal(case_id=case_id, normal_since=timezone.now() - timedelta(minutes=4))
    with pytest.raises(IllegalTransition, match="normal for 4"):
        apply_transition(case_id=case_id, action="verify", actor=place.grid_worker, params={"passed": True})
    later = timezone.now() + timedelta(minutes=6, seconds=5)
    verified = apply_transition(
        case_id=case_id, action="verify", actor=place.grid_worker, params={"passed": True}, at=later
    )
    assert verified.status == "verified"


def test_suspension_pauses_the_clock(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case = smoke_case(place)
    now = timezone.now()
    left = case.deadline - now
    apply_transition(case_id=case.pk, action="suspend", actor=place.dispatcher, note="等待业主", at=now)
    suspended = Case.objects.get(pk=case.pk)
    assert (suspended.status, suspended.deadline) == ("suspended", None)
    resumed_at = now + timedelta(hours=3)
    resumed = apply_transition(case_id=case.pk, action="resume", actor=place.dispatcher, at=resumed_at)
    assert resumed.status == "dispatched"
    assert resumed.suspended_seconds == 3 * 3600
    assert abs(resumed.deadline - (resumed_at + left)) < timedelta(seconds=1)


def test_extension_request_and_approval(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case = smoke_case(place)
    with pytest.raises(IllegalTransition, match="no extension request"):
        apply_transition(case_id=case.pk, action="approve_extension", actor=place.dispatcher)
    with pytest.raises(BadInput, match="later than the current"):
        apply_transition(
            case_id=case.pk, action="request_extension", actor=place.property_handler, note="需要配件",
            params={"until": (case.deadline - timedelta(minutes=1)).isoformat()},
        )  # fmt: skip
    until = case.deadline + timedelta(hours=2)
    apply_transition(
        case_id=case.pk, action="request_extension", actor=place.property_handler, note="需要配件",
        params={"until": until.isoformat()},
    )  # fmt: skip
    with pytest.raises(ActionForbidden):  # a street official reads only
        apply_transition(case_id=case.pk, action="approve_extension", actor=place.official)
    approved = apply_transition(case_id=case.pk, action="approve_extension", actor=place.dispatcher)
    assert (approved.deadline, approved.handle_deadline, approved.extension_count) == (until, until, 1)
    assert approved.extension_until is None


def test_merge_into_an_open_case(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    first = smoke_case(place, category_code="exposed-garbage")
    second = smoke_case(place, category_code="exposed-garbage")
    assert second.status == "discovered"
    with pytest.raises(BadInput, match="itself"):
        apply_transition(
            case_id=second.pk, action="merge", actor=place.dispatcher, params={"into": second.pk}
        )
    merged = apply_transition(
        case_id=second.pk, action="merge", actor=place.dispatcher, params={"into": first.pk}
    )
    assert (merged.status, merged.merged_into_id) == ("merged", first.pk)


def test_a_low_rating_reopens_the_case(catalogue, place, jpeg) -> None:  # type: ignore[no-untyped-def]
    case = smoke_case(place)
    for action, actor, params in [
        ("accept", place.property_handler, {}),
        ("handle", place.property_handler, {}),
        ("verify", place.grid_worker, {"passed": True}),
        ("close", place.dispatcher, {"evaluation": "good"}),
    ]:
        apply_transition(
            case_id=case.pk,
            action=action,
            actor=actor,
            params=params,
            photos=[PhotoUpload(jpeg)] if action == "handle" else [],
        )
    with pytest.raises(BadInput, match="1 to 5"):
        rate_case(case_id=case.pk, stars=0)
    kept = rate_case(case_id=case.pk, stars=3, comment="还行")
    assert (kept.status, kept.satisfaction) == ("closed", 3)
    reopened = rate_case(case_id=case.pk, stars=2, comment="还是有烟")
    assert (reopened.status, reopened.reopen_count, reopened.satisfaction) == ("dispatched", 1, 2)
    assert reopened.events.last().actor_role == "resident"
