"""The rules of the case machine: who may act on a case (role and relation), the cheap preconditions a
console checks, and each action's own rule (its input, the evidence it needs, what it changes). They
raise a WorkflowError; the engine applies the table and these rules."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, User

from ..dispatching import resolve_dispatch
from ..errors import ActionForbidden, BadInput, IllegalTransition
from ..escalation import arm_overdue_steps, fire_new_step, fire_step
from ..models import Case, CasePhoto, Category
from ..newcase import NewCase
from ..photos import PhotoUpload
from .deadlines import pause_clock
from .table import (
    FIELD_ROLES,
    NOTE_REQUIRED,
    REWORK_NEEDS_NOTE,
    ROLE_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
    NonStaff,
    Role,
    Transition,
)

S = Case.Status


def role_of(user: User | None, role: str | None = None) -> str:
    if user is None:
        if role not in (None, NonStaff.SYSTEM, NonStaff.RESIDENT):
            raise ValueError(f"a role {role!r} needs a user")
        return role or NonStaff.SYSTEM
    if user.is_superuser:
        return Role.ADMIN
    return str(user.role)


@dataclass
class Context:
    case: Case
    transition: Transition
    actor: User | None
    role: str
    params: Mapping[str, Any]
    note: str
    now: datetime
    photos: Sequence[PhotoUpload]
    data: dict[str, Any] = field(default_factory=dict)  # stored on the event
    target: str | None = None
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    new: NewCase | None = None  # a case not inserted yet (advance_new_case)


# ---------------------------------------------------------------------------------------------- checks


def may_act(case: Case, action: str, user: User | None, role: str | None = None) -> bool:
    """Whether `user` could apply `action` now (role, state and relation; not the action's input)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        return False
    who = role_of(user, role)
    if who not in transition.roles or case.status not in transition.sources:
        return False
    try:
        _check_relation(case, transition, user, who)
    except ActionForbidden:
        return False
    return True


# Cheap preconditions, so that a console does not offer what would certainly be refused.
PRECONDITIONS: dict[str, Callable[[Case], bool]] = {
    "approve_extension": lambda case: case.extension_until is not None,
    "deny_extension": lambda case: case.extension_until is not None,
    "mark_overdue": lambda case: (
        not case.overdue and case.deadline is not None and case.deadline <= timezone.now()
    ),
}


def _always(case: Case) -> bool:
    return True


def allowed_actions(case: Case, user: User | None) -> list[str]:
    return [
        action
        for action in TRANSITIONS
        if may_act(case, action, user) and PRECONDITIONS.get(action, _always)(case)
    ]


def check_allowed(case: Case, transition: Transition, actor: User | None, who: str) -> None:
    if who not in transition.roles:
        raise ActionForbidden(
            _("A %(role)s may not %(action)s a case.")
            % {"role": ROLE_LABELS.get(who, who), "action": transition.label}
        )
    if case.status not in transition.sources:
        status = STATUS_LABELS.get(case.status, case.status)
        raise IllegalTransition(
            _("Cannot %(action)s case %(id)s: it is %(status)s.")
            % {"action": transition.label, "id": case.pk, "status": status}
        )
    _check_relation(case, transition, actor, who)


def _check_relation(case: Case, transition: Transition, actor: User | None, role: str) -> None:
    if role in FIELD_ROLES:
        assert actor is not None
        mine = case.assignee_id == actor.pk
        my_department = (
            role == Role.HANDLER
            and actor.department_id is not None
            and actor.department_id == case.department_id
        )
        if transition.action == "verify":
            if actor.pk not in _grid_worker_ids(case) and not mine:
                raise ActionForbidden(
                    _("Only a grid worker of this grid or the assignee may verify this case.")
                )
        elif not (mine or my_department):
            raise ActionForbidden(_("This case is not assigned to you or your department."))
    if transition.action == "verify" and actor is not None and case.handled_by_id == actor.pk:
        raise ActionForbidden(_("The person who handled a case may not verify it."))


def _grid_worker_ids(case: Case) -> set[int]:
    if case.grid_id is None:
        return set()
    return set(User.objects.filter(grids=case.grid_id).values_list("pk", flat=True))


# ---------------------------------------------------------------------------------------------- actions


def _require_note(ctx: Context, message: Promise) -> None:
    if not ctx.note.strip():
        raise BadInput(message, note=message)


def _on_file(ctx: Context) -> None:
    ctx.case.filed_at = ctx.now


def _on_reject(ctx: Context) -> None:
    reason = ctx.params.get("reason") or ""
    if reason not in Case.RejectReason.values:
        message = _("Give a reason: %(choices)s.") % {"choices": ", ".join(Case.RejectReason.values)}
        raise BadInput(message, reason=message)
    ctx.case.reject_reason = reason
    ctx.data["reason"] = reason


def _on_merge(ctx: Context) -> None:
    raw = ctx.params.get("into")
    try:
        into_id = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadInput(_("Name the case to merge into (its number)."), into=_("A case number.")) from None
    if into_id == ctx.case.pk:
        raise BadInput(_("A case cannot be merged into itself."), into=_("Another case."))
    target = Case.objects.filter(pk=into_id).only("pk", "status").first()
    if target is None:
        raise BadInput(_("Case %(id)s does not exist.") % {"id": into_id}, into=_("Unknown case."))
    if target.status not in Case.Status.OPEN:
        raise IllegalTransition(
            _("Case %(id)s is no longer open; merge into an open case.") % {"id": into_id}
        )
    ctx.case.merged_into_id = into_id
    ctx.data["into"] = into_id


def _on_dispatch(ctx: Context) -> None:
    department = _department_param(ctx.params.get("department"))
    assignee = _assignee_param(ctx.params.get("assignee"))
    if department is None and assignee is None:
        target = resolve_dispatch(ctx.case, at=ctx.now)
        department, assignee = target.department, target.assignee
        ctx.data["rule"] = target.rule
        if department is None and assignee is None:
            raise BadInput(_("No department or person was found for this category and place; choose one."))
    elif department is None and assignee is not None and assignee.department_id:
        department = assignee.department
    ctx.case.department = department
    ctx.case.assignee = assignee
    ctx.case.dispatched_at = ctx.now
    ctx.data["department"] = department.code if department else None
    ctx.data["assignee"] = assignee.username if assignee else None


def _department_param(value: Any) -> Department | None:
    if value in (None, ""):
        return None
    lookup = {"pk": int(value)} if isinstance(value, int) or str(value).isdigit() else {"code": str(value)}
    department = Department.objects.filter(**lookup).first()
    if department is None:
        message = _("Unknown department %(value)s.") % {"value": value}
        raise BadInput(message, department=message)
    return department


def _assignee_param(value: Any) -> User | None:
    if value in (None, ""):
        return None
    lookup = {"pk": value} if isinstance(value, int) else {"username": str(value)}
    user = User.objects.filter(is_active=True, **lookup).first()
    if user is None:
        message = _("Unknown or inactive user %(value)s.") % {"value": value}
        raise BadInput(message, assignee=message)
    if user.role not in FIELD_ROLES:
        message = _("%(user)s is not a grid worker or department handler.") % {"user": user.username}
        raise BadInput(message, assignee=message)
    return user


def _on_return(ctx: Context) -> None:
    _require_note(ctx, NOTE_REQUIRED["return"])
    case = ctx.case
    ctx.data["department"] = case.department.code if case.department_id and case.department else None
    case.return_count += 1
    case.department = None
    case.assignee = None


def _on_accept(ctx: Context) -> None:
    case = ctx.case
    case.accepted_at = ctx.now
    if case.assignee_id is None and ctx.actor is not None:
        case.assignee = ctx.actor  # a department handler takes the case
    _attach_photos(ctx, CasePhoto.Kind.BEFORE)


def _on_handle(ctx: Context) -> None:
    case = ctx.case
    _attach_photos(ctx, CasePhoto.Kind.AFTER)
    evidence = case.category.evidence_required
    kinds = {photo.kind for photo in ctx.photos} | set(case.photos.values_list("kind", flat=True).distinct())
    if evidence in (Category.Evidence.AFTER, Category.Evidence.BEFORE_AFTER) and not any(
        photo.kind == CasePhoto.Kind.AFTER for photo in ctx.photos
    ):
        message = _("This category needs a photo after handling.")
        raise BadInput(message, photos=message)
    if evidence == Category.Evidence.BEFORE_AFTER and CasePhoto.Kind.BEFORE not in kinds:
        message = _("This category needs a photo before handling too (upload it when accepting).")
        raise BadInput(message, photos=message)
    case.handled_at = ctx.now
    case.handled_by = ctx.actor


def _on_verify(ctx: Context) -> None:
    case = ctx.case
    passed = _boolean(ctx.params.get("passed"))
    if passed is None:
        message = _("Say whether the verification passed (true or false).")
        raise BadInput(message, passed=message)
    _attach_photos(ctx, CasePhoto.Kind.VERIFY)
    ctx.data["passed"] = passed
    if not passed:
        _require_note(ctx, REWORK_NEEDS_NOTE)
        case.rework_count += 1
        ctx.target = ctx.transition.fail_target
        return
    needed = case.category.verify_sensor_normal_minutes
    if needed and case.source == Case.Source.SENSOR:
        since = case.sensor_normal_since
        normal_for = (ctx.now - since) if since else timedelta()
        if since is None or normal_for < timedelta(minutes=needed):
            minutes = int(normal_for.total_seconds() // 60)
            raise IllegalTransition(
                _(
                    "The sensor must be back to normal for %(needed)s minutes before verification; "
                    "it has been normal for %(minutes)s."
                )
                % {"needed": needed, "minutes": minutes}
            )
        ctx.data["sensor_normal_since"] = since.isoformat()
    case.verified_at = ctx.now


def _on_close(ctx: Context) -> None:
    evaluation = ctx.params.get("evaluation") or ""
    if evaluation not in Case.Evaluation.values:
        message = _("Give an evaluation: %(choices)s.") % {"choices": ", ".join(Case.Evaluation.values)}
        raise BadInput(message, evaluation=message)
    ctx.case.evaluation = evaluation
    ctx.case.closed_at = ctx.now
    ctx.data["evaluation"] = evaluation


def _on_suspend(ctx: Context) -> None:
    _require_note(ctx, NOTE_REQUIRED["suspend"])
    ctx.case.status_before_suspend = ctx.case.status
    pause_clock(ctx.case, ctx.now)


def _on_resume(ctx: Context) -> None:
    ctx.target = ctx.case.status_before_suspend or S.FILED
    ctx.case.status_before_suspend = ""


def _on_request_extension(ctx: Context) -> None:
    case = ctx.case
    _require_note(ctx, NOTE_REQUIRED["request_extension"])
    raw = ctx.params.get("until")
    until = raw if isinstance(raw, datetime) else parse_datetime(str(raw or ""))
    if until is None or timezone.is_naive(until):
        message = _(
            "Give the new deadline as a date and time with its offset, e.g. 2026-11-23T17:00:00+08:00."
        )
        raise BadInput(message, until=message)
    if until <= ctx.now or (case.deadline is not None and until <= case.deadline):
        message = _("The new deadline must be later than the current one.")
        raise BadInput(message, until=message)
    case.extension_until = until
    case.extension_reason = ctx.note[:200]
    ctx.data["until"] = until.isoformat()


def _on_approve_extension(ctx: Context) -> None:
    case = ctx.case
    if case.extension_until is None:
        raise IllegalTransition(_("There is no extension request to approve."))
    case.handle_deadline = case.extension_until
    case.deadline = case.extension_until
    case.overdue = case.deadline <= ctx.now
    case.extension_count += 1
    ctx.data["until"] = case.extension_until.isoformat()
    case.extension_until = None


def _on_deny_extension(ctx: Context) -> None:
    if ctx.case.extension_until is None:
        raise IllegalTransition(_("There is no extension request to deny."))
    ctx.case.extension_until = None


def _on_reopen(ctx: Context) -> None:
    case = ctx.case
    case.reopen_count += 1
    case.dispatched_at = ctx.now
    for name in ("accepted_at", "handled_at", "verified_at", "closed_at", "handled_by"):
        setattr(case, name, None)
    case.evaluation = ""


def _on_rate(ctx: Context) -> None:
    stars = ctx.params.get("stars")
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        message = _("Give 1 to 5 stars.")
        raise BadInput(message, stars=message)
    ctx.case.satisfaction = stars
    ctx.case.satisfaction_comment = ctx.note[:500]
    ctx.data["stars"] = stars


def _on_mark_overdue(ctx: Context) -> None:
    case = ctx.case
    if case.overdue or case.deadline is None or case.deadline > ctx.now:
        raise IllegalTransition(_("The case is not overdue."))
    case.overdue = True
    case.ever_overdue = True
    ctx.data["deadline"] = case.deadline.isoformat()
    arm_overdue_steps(case, at=ctx.now)


def _on_escalate(ctx: Context) -> None:
    if ctx.new is not None:  # a new case's step, by position: it has no id yet
        ctx.data.update(fire_new_step(ctx.new, position=int(ctx.params["position"]), now=ctx.now))
    else:
        ctx.data.update(fire_step(ctx.case, step_id=int(ctx.params["step"]), now=ctx.now))


ACTION_RULES: dict[str, Callable[[Context], None]] = {
    "file": _on_file,
    "reject": _on_reject,
    "merge": _on_merge,
    "dispatch": _on_dispatch,
    "return": _on_return,
    "accept": _on_accept,
    "handle": _on_handle,
    "verify": _on_verify,
    "close": _on_close,
    "suspend": _on_suspend,
    "resume": _on_resume,
    "request_extension": _on_request_extension,
    "approve_extension": _on_approve_extension,
    "deny_extension": _on_deny_extension,
    "reopen": _on_reopen,
    "rate": _on_rate,
    "mark_overdue": _on_mark_overdue,
    "escalate": _on_escalate,
}
assert set(ACTION_RULES) == set(TRANSITIONS)


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "1", "yes", "false", "0", "no"}:
        return value.lower() in {"true", "1", "yes"}
    return None


def _attach_photos(ctx: Context, kind: str) -> None:
    for photo in ctx.photos:
        photo.kind = photo.kind or kind
