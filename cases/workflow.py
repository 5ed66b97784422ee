"""The case machine: the TRANSITIONS table and `apply_transition()`, the only code that assigns Case.status.

apply_transition locks the case row, checks role, state and the actor's relation to the case, runs the
action's own rules, writes exactly one CaseEvent, bumps the version and broadcasts after commit. Errors
carry an HTTP status: 403 the role or person may not act, 409 the state does not allow it, 400 bad input;
nothing is written when one is raised.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from command_center.models import Department, User
from command_center.realtime import broadcast_many_on_commit, broadcast_on_commit

from . import calendar as cal
from .models import Case, CaseEscalation, CaseEvent, CasePhoto, Category, Stage
from .photos import PhotoUpload, check_photos, save_photos

if TYPE_CHECKING:
    from .escalation import Firing

S = Case.Status

# Roles: the staff roles of command_center.User.Role plus two without an account.
DISPATCHER, GRID_WORKER, HANDLER, OFFICIAL, ADMIN = (
    "dispatcher",
    "grid_worker",
    "handler",
    "official",
    "admin",
)
SYSTEM, RESIDENT = "system", "resident"
ROLES = (DISPATCHER, GRID_WORKER, HANDLER, OFFICIAL, ADMIN, SYSTEM, RESIDENT)
ROLE_LABELS = {
    DISPATCHER: _("Dispatcher"),
    GRID_WORKER: _("Grid worker"),
    HANDLER: _("Department handler"),
    OFFICIAL: _("Street official"),
    ADMIN: _("Administrator"),
    SYSTEM: _("System"),
    RESIDENT: _("Resident"),
    "gate_guard": _("Gate guard"),  # reports only: no transition names the role
}
# Roles that act on a case as its handler: they must be its assignee or in its department.
FIELD_ROLES = frozenset({GRID_WORKER, HANDLER})

RESTORE = "<status before suspension>"
SAME = None


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # SAME (None): the status does not change; RESTORE: back to the status before suspend
    roles: frozenset[str]
    event: str  # realtime event "case.<event>"
    label: Promise
    fail_target: str | None = None  # verify with passed=false (rework)


def _t(
    action: str,
    sources: Sequence[str],
    target: str | None,
    roles: Sequence[str],
    event: str,
    label: Promise,
    fail_target: str | None = None,
) -> tuple[str, Transition]:
    return action, Transition(action, frozenset(sources), target, frozenset(roles), event, label, fail_target)


# action: (from states, to state, who may, realtime event, label). The table the tests check row by row.
TRANSITIONS: dict[str, Transition] = dict(
    [
        _t("file", [S.DISCOVERED], S.FILED, [DISPATCHER, ADMIN, SYSTEM],
           "filed", pgettext_lazy("case action", "File")),
        _t("reject", [S.DISCOVERED, S.FILED], S.REJECTED, [DISPATCHER, ADMIN, SYSTEM],
           "rejected", pgettext_lazy("case action", "Reject")),
        _t("merge", [S.DISCOVERED, S.FILED], S.MERGED, [DISPATCHER, ADMIN, SYSTEM],
           "merged", pgettext_lazy("case action", "Merge")),
        _t("dispatch", [S.FILED, S.DISPATCHED], S.DISPATCHED, [DISPATCHER, ADMIN, SYSTEM],
           "dispatched", pgettext_lazy("case action", "Dispatch")),
        _t("return", [S.DISPATCHED], S.FILED, [GRID_WORKER, HANDLER],
           "returned", pgettext_lazy("case action", "Return")),
        _t("accept", [S.DISPATCHED], S.IN_PROGRESS, [GRID_WORKER, HANDLER],
           "accepted", pgettext_lazy("case action", "Accept")),
        _t("handle", [S.IN_PROGRESS], S.HANDLED, [GRID_WORKER, HANDLER],
           "handled", pgettext_lazy("case action", "Handle")),
        _t("verify", [S.HANDLED], S.VERIFIED, [DISPATCHER, GRID_WORKER, ADMIN],
           "verified", pgettext_lazy("case action", "Verify"), fail_target=S.DISPATCHED),
        _t("close", [S.VERIFIED], S.CLOSED, [DISPATCHER, ADMIN, SYSTEM],
           "closed", pgettext_lazy("case action", "Close")),
        _t("suspend", [S.FILED, S.DISPATCHED, S.IN_PROGRESS], S.SUSPENDED, [DISPATCHER, ADMIN],
           "suspended", pgettext_lazy("case action", "Suspend")),
        _t("resume", [S.SUSPENDED], RESTORE, [DISPATCHER, ADMIN],
           "resumed", pgettext_lazy("case action", "Resume")),
        _t("request_extension", [S.DISPATCHED, S.IN_PROGRESS], SAME, [GRID_WORKER, HANDLER],
           "extension_requested", pgettext_lazy("case action", "Request extension")),
        _t("approve_extension", [S.DISPATCHED, S.IN_PROGRESS], SAME, [DISPATCHER, ADMIN],
           "extension_approved", pgettext_lazy("case action", "Approve extension")),
        _t("deny_extension", [S.DISPATCHED, S.IN_PROGRESS], SAME, [DISPATCHER, ADMIN],
           "extension_denied", pgettext_lazy("case action", "Deny extension")),
        _t("reopen", [S.CLOSED], S.DISPATCHED, [DISPATCHER, ADMIN, RESIDENT],
           "reopened", pgettext_lazy("case action", "Reopen")),
        _t("rate", [S.CLOSED], SAME, [DISPATCHER, RESIDENT],
           "rated", pgettext_lazy("case action", "Rate")),
        _t("mark_overdue", Case.TIMED_STATUSES, SAME, [SYSTEM],
           "overdue", pgettext_lazy("case action", "Mark overdue")),
        # Not while suspended: the clock is paused, so is the chase.
        _t("escalate", [*Case.TIMED_STATUSES, S.VERIFIED], SAME, [SYSTEM],
           "escalated", pgettext_lazy("case action", "Escalate")),
    ]
)  # fmt: skip

# Which time limit runs in which status; statuses not listed have no running clock.
STAGE_OF_STATUS: dict[str, str] = {
    S.DISCOVERED: Stage.FILE,
    S.FILED: Stage.DISPATCH,
    S.DISPATCHED: Stage.HANDLE,
    S.IN_PROGRESS: Stage.HANDLE,
    S.HANDLED: Stage.VERIFY,
}
STATUS_LABELS: dict[str, Any] = dict(S.choices)
REWORK_NEEDS_NOTE = _("Say what is still wrong.")
# The actions that need a note, and what they say without one.
NOTE_REQUIRED = {
    "return": _("Say why the case is returned."),
    "suspend": _("Say why the case is suspended."),
    "request_extension": _("Say why more time is needed."),
}


class WorkflowError(Exception):
    status_code = 400

    def __init__(self, message: Any, **fields: Any) -> None:
        super().__init__(str(message))
        self.message = message
        self.fields = fields


class BadInput(WorkflowError):
    status_code = 400


class ActionForbidden(WorkflowError):
    status_code = 403


class UnknownAction(WorkflowError):
    status_code = 404


class CaseNotFound(WorkflowError):
    status_code = 404


class IllegalTransition(WorkflowError):
    status_code = 409


def role_of(user: User | None, role: str | None = None) -> str:
    if user is None:
        if role not in (None, SYSTEM, RESIDENT):
            raise ValueError(f"a role {role!r} needs a user")
        return role or SYSTEM
    if user.is_superuser:
        return ADMIN
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
    new: "NewCase | None" = None  # a case not inserted yet (advance_new_case)


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


def allowed_actions(case: Case, user: User | None) -> list[str]:
    return [
        action
        for action in TRANSITIONS
        if may_act(case, action, user) and PRECONDITIONS.get(action, lambda case: True)(case)
    ]


def _check_relation(case: Case, transition: Transition, actor: User | None, role: str) -> None:
    if role in FIELD_ROLES:
        assert actor is not None
        mine = case.assignee_id == actor.pk
        my_department = (
            role == HANDLER and actor.department_id is not None and actor.department_id == case.department_id
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


# ---------------------------------------------------------------------------------------------- deadlines


def _clock(case: Case) -> tuple[str, "cal.WorkCalendarSpec"]:
    from .selectors import calendar_for

    category: Category = case.category
    return category.clock_type, calendar_for(category)


def start_stage(case: Case, now: datetime) -> None:
    """A new stage starts now: set its deadline from the category's limit, clear the overdue mark."""
    stage = STAGE_OF_STATUS.get(case.status)
    if stage is None:
        case.deadline = None
        case.overdue = False
        return
    clock, calendar = _clock(case)
    deadline = cal.deadline_after(now, case.category.limit_for(stage), clock, calendar)
    if deadline is not None:
        deadline = deadline.astimezone(UTC)  # as read back from the database: events show it alike
    setattr(case, f"{stage}_deadline", deadline)
    case.deadline = deadline
    case.overdue = False


def _pause_clock(case: Case, now: datetime) -> None:
    if case.deadline is None:
        case.paused_remaining_seconds = None
    else:
        clock, calendar = _clock(case)
        left = cal.clock_time_between(now, case.deadline, clock, calendar)
        case.paused_remaining_seconds = int(left.total_seconds())
    case.suspended_at = now
    case.deadline = None


def _resume_clock(case: Case, now: datetime) -> None:
    if case.suspended_at is not None:
        case.suspended_seconds += max(int((now - case.suspended_at).total_seconds()), 0)
    stage = STAGE_OF_STATUS.get(case.status)
    if case.paused_remaining_seconds is not None and stage is not None:
        clock, calendar = _clock(case)
        deadline = cal.add_clock_time(now, timedelta(seconds=case.paused_remaining_seconds), clock, calendar)
        setattr(case, f"{stage}_deadline", deadline)
        case.deadline = deadline
    case.suspended_at = None
    case.paused_remaining_seconds = None


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
    if target.status not in Case.OPEN_STATUSES:
        raise IllegalTransition(
            _("Case %(id)s is no longer open; merge into an open case.") % {"id": into_id}
        )
    ctx.case.merged_into_id = into_id
    ctx.data["into"] = into_id


def _on_dispatch(ctx: Context) -> None:
    from .dispatching import resolve_dispatch

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
    _pause_clock(ctx.case, ctx.now)


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
    from .escalation import arm_overdue_steps

    case = ctx.case
    if case.overdue or case.deadline is None or case.deadline > ctx.now:
        raise IllegalTransition(_("The case is not overdue."))
    case.overdue = True
    case.ever_overdue = True
    ctx.data["deadline"] = case.deadline.isoformat()
    arm_overdue_steps(case, at=ctx.now)


def _on_escalate(ctx: Context) -> None:
    from .escalation import fire_new_step, fire_step

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


# ------------------------------------------------------------------------------------------- the one writer


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
        _check_allowed(case, transition, actor, who)
        return _apply(case, transition, actor, who, note, params or {}, photos, now)


def _check_allowed(case: Case, transition: Transition, actor: User | None, who: str) -> None:
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


@dataclass
class NewCase:
    """A case services.create_case is building, with its escalation steps. It is not in the database
    until insert_new_case(): its first transitions (file, dispatch) change it in memory and keep their
    events and realtime messages, so the case is written once, by one INSERT, in its final state."""

    case: Case
    escalations: list[CaseEscalation]
    events: list[CaseEvent] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    firings: list["Firing"] = field(default_factory=list)  # steps fired: notifications to write


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
        _check_allowed(case, transition, None, SYSTEM)
        _apply(case, transition, None, SYSTEM, "", params or {}, [], at, new)
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
        from .escalation import notify_new_case

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
            pass  # _pause_clock kept the time left
        elif transition.action == "resume":
            _resume_clock(case, now)
        elif new_stage != old_stage or transition.action in ("verify", "reopen"):
            start_stage(case, now)
            from .escalation import reset_overdue_steps

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
        from .escalation import stop_finished_steps

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
