"""The engine of the case machine: `apply_transition()`, the only code that assigns Case.status.

apply_transition locks the case row, checks role, state and the actor's relation to the case (rules),
runs the action's own rule, writes exactly one CaseEvent, bumps the version and broadcasts after commit.
A new case runs its first transitions in memory (start_new_case, advance_new_case) and is written once
(insert_new_case). Errors carry an HTTP status (cases.errors); nothing is written when one is raised.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from command_center.realtime import broadcast_many_on_commit, broadcast_on_commit

from ..errors import CaseNotFound, UnknownAction, WorkflowError
from ..escalation import notify_new_case, reset_overdue_steps, stop_finished_steps
from ..models import Case, CaseEscalation, CaseEvent
from ..newcase import NewCase
from ..photos import PhotoUpload, check_photos, save_photos
from .deadlines import resume_clock, start_stage
from .rules import ACTION_RULES, Context, check_allowed, role_of
from .table import RESTORE, SAME, STAGE_OF_STATUS, TRANSITIONS, NonStaff, Transition


def _snapshot(instance: Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def apply_transition(
    *,
    case_id: int,
    action: str,
    actor: User | None = None,
    role: str | None = None,
    note: str = "",
    params: Mapping[str, Any] | None = None,
    photos: Sequence[PhotoUpload] = (),
    at: datetime | None = None,
) -> Case:
    """Apply `action` to case `case_id` as `actor` (None: the system, or `role="resident"`).

    Raises a WorkflowError (BadInput, ActionForbidden, UnknownAction, CaseNotFound, IllegalTransition)
    and writes nothing when the action is not possible. A request sent again (a phone retrying) is
    recognised by its Idempotency-Key before it gets here (cases/idempotency.py).
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise UnknownAction(_("Unknown action %(action)s.") % {"action": action})
    who = role_of(actor, role)
    photos = check_photos(photos)
    now = at or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("apply_transition needs an aware datetime")
    with transaction.atomic():
        # of=self: lock the case row only, not its category's (which every new case reads). The
        # compound names the place in the case's event: loaded lazily, it cost a query (and the
        # decoding of its boundary) a transition.
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("category", "compound")
            .defer("compound__boundary")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            raise CaseNotFound(_("Case %(id)s does not exist.") % {"id": case_id})
        check_allowed(case, transition, actor, who)
        return _apply(case, transition, actor, who, note, params or {}, photos, now)


def start_new_case(
    case: Case, escalations: list[CaseEscalation], *, actor: User | None, role: str, note: str = ""
) -> NewCase:
    """The first event of a case (from nothing to discovered) and its `created` message."""
    case.version = 1
    new = NewCase(case, escalations)
    new.events.append(
        CaseEvent(
            case=case,
            action="create",
            from_status="",
            to_status=case.status,
            actor=actor,
            actor_role=role,
            note=note,
            data={"source": case.source},
            at=case.created_at,
            time_used_seconds=0,
        )
    )
    broadcast_case(case, "created", new.messages)
    return new


def advance_new_case(
    new: NewCase, *, action: str, at: datetime, params: Mapping[str, Any] | None = None
) -> None:
    """apply_transition by the system on a case not inserted yet (services.create_case files,
    dispatches and fires its steps due at once): the same checks and changes, one event, one version
    more, one message. On a WorkflowError the case and its steps are as before."""
    transition = TRANSITIONS[action]
    case = new.case
    assert case.pk is None, "advance_new_case is for a case not inserted yet"
    before = _snapshot(case)
    steps = [_snapshot(step) for step in new.escalations]
    fired = len(new.firings)
    try:
        check_allowed(case, transition, None, NonStaff.SYSTEM)
        _apply(case, transition, None, NonStaff.SYSTEM, "", params or {}, [], at, new)
    except WorkflowError:
        for instance, values in [(case, before), *zip(new.escalations, steps, strict=True)]:
            for name, value in values.items():
                setattr(instance, name, value)
        del new.firings[fired:]
        raise


def insert_new_case(new: NewCase) -> CaseEvent:
    """Write the new case, its escalation steps and its events; send its messages after commit.
    Returns the creation event."""
    case = new.case
    case.save(force_insert=True)
    for step in new.escalations:
        step.case = case
    CaseEscalation.objects.bulk_create(new.escalations)
    CaseEvent.objects.bulk_create(new.events)  # in order: ids follow the transitions
    if new.firings:
        notify_new_case(case, new.firings)
    for message in new.messages:
        message["obj_id"] = case.pk
    broadcast_many_on_commit(new.messages)
    return new.events[0]


def _apply(
    case: Case,
    transition: Transition,
    actor: User | None,
    role: str,
    note: str,
    params: Mapping[str, Any],
    photos: Sequence[PhotoUpload],
    now: datetime,
    new: NewCase | None = None,
) -> Case:
    before = _snapshot(case)
    ctx = Context(case, transition, actor, role, params, (note or "").strip(), now, list(photos), new=new)
    ctx.target = transition.target
    stage_overdue = case.overdue or (case.deadline is not None and case.deadline <= now)
    ACTION_RULES[transition.action](ctx)

    from_status = case.status
    if ctx.target is RESTORE:
        raise AssertionError("resume sets its target")
    to_status = from_status if ctx.target is SAME else ctx.target
    assert to_status is not None
    if to_status != from_status:
        case.status = to_status
        old_stage, new_stage = STAGE_OF_STATUS.get(from_status), STAGE_OF_STATUS.get(to_status)
        if transition.action == "suspend":
            pass  # pause_clock kept the time left
        elif transition.action == "resume":
            resume_clock(case, now)
        elif new_stage != old_stage or transition.action in ("verify", "reopen"):
            start_stage(case, now)
            reset_overdue_steps(case, new.escalations if new else None)
    time_used = max(int((now - case.stage_started_at).total_seconds()), 0)
    if to_status != from_status:
        case.stage_started_at = now
    case.version += 1
    case.updated_at = now
    if new is None:
        after = _snapshot(case)
        changed = [name for name, value in after.items() if before[name] != value]
        case.save(update_fields=[case._meta.get_field(name).name for name in changed])

    event = CaseEvent(
        case=case,
        action=transition.action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_role=role,
        note=ctx.note,
        data=ctx.data,
        at=now,
        time_used_seconds=time_used,
        overdue=stage_overdue,
    )
    if new is None:
        event.save(force_insert=True)
    else:
        new.events.append(event)  # written by insert_new_case
    if ctx.photos:
        save_photos(case=case, event=event, photos=ctx.photos, uploaded_by=actor)
    if to_status != from_status:
        stop_finished_steps(case, new.escalations if new else None)
    event_name = (
        "reworked" if transition.action == "verify" and not ctx.data.get("passed") else transition.event
    )
    broadcast_case(case, event_name, new.messages if new else None)
    return case


def case_event_data(case: Case) -> dict[str, Any]:
    """The `data` of realtime case events (contract in the brief)."""
    category = case.category
    return {
        "title": case.title,
        "severity": case.severity,
        "status": case.status,
        "lat": case.lat,
        "lng": case.lng,
        "place": case.place,
        "category": category.code,
        "category_name": category.name,
        "deadline": case.deadline.isoformat() if case.deadline else None,
        "overdue": case.overdue,
        "emergency": case.emergency,
        "sensor_point": case.sensor_code or None,
        "source": case.source,
        "count": case.alarm_count,
        "department": case.department_id,
        "assignee": case.assignee_id,
    }


def broadcast_case(case: Case, event: str, batch: list[dict[str, Any]] | None = None) -> None:
    """Send the event after commit; or add it to `batch`, which the caller sends with
    broadcast_many_on_commit (one Redis round trip for all of a new case's events)."""
    message: dict[str, Any] = {
        "event": f"case.{event}",
        "kind": "case",
        "obj_id": case.pk,
        "version": case.version,
        "data": case_event_data(case),
        "grid_id": case.grid_id,
        "user_ids": [case.assignee_id] if case.assignee_id else [],
    }
    if batch is None:
        broadcast_on_commit(**message)
    else:
        batch.append(message)
