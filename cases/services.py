"""Writes: open cases (from any source, from alarms), sensor state, ratings, the deadline sweep.

Status changes go through workflow.apply_transition; the functions here create cases and do the
bookkeeping around them. Keyword-only, typed; callers hold their own transaction when they need one
(the ingest path calls open_case_from_alarm inside its own).
"""

import logging
import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from grids.models import Compound, Grid
from grids.scoping import user_grid_ids
from grids.selectors import PlaceFinder

from . import db, workflow
from .catalogue import cached_catalogue, enabled_category
from .escalation import copy_policy, enqueue_notifications, notifications_sent_together
from .idempotency import forget_old_answers
from .models import (
    SEVERITY_PRIORITY,
    Case,
    CaseEscalation,
    Category,
    Notification,
    Severity,
)
from .photos import PhotoUpload, check_photos, save_photos
from .prepared import prepared_statements
from .selectors import merge_candidates
from .workflow import (
    ActionForbidden,
    BadInput,
    CaseNotFound,
    WorkflowError,
    apply_transition,
    broadcast_case,
    role_of,
)

logger = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_DESCRIPTION = 5000


def _category(code: str) -> Category:
    category = enabled_category(code)
    if category is None:
        message = _("Unknown or disabled case category %(code)s.") % {"code": code}
        raise BadInput(message, category=message)
    if category.pk in major_category_ids():
        message = _("%(code)s is a major category; choose one of its minor categories.") % {"code": code}
        raise BadInput(message, category=message)
    return category


def major_category_ids() -> set[int]:
    """The enabled categories that others name as their parent (大类): a case takes a minor one."""
    return {category.parent_id for category in cached_catalogue().categories.values() if category.parent_id}


def _coordinate(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:
        message = _("%(name)s must be a number between %(low)s and %(high)s.") % {
            "name": name,
            "low": low,
            "high": high,
        }
        raise BadInput(message, **{name: message})
    return number


def _place(
    lat: float, lng: float, grid_id: int | None, compound_id: int | None, locate: bool, *, in_territory: bool
) -> tuple[int | None, int | None, Compound | None]:
    """grid id, community id and compound for the case; located from the point unless given. The
    compound comes with its grid and property company: the case's place and dispatch read them.
    `in_territory`: the point must lie in the deployment's area (grids/selectors.py)."""
    if (grid_id is None and compound_id is None and locate) or in_territory:
        finder = PlaceFinder()
        if in_territory and not finder.within_territory(lat, lng):
            message = _(
                "This place (%(lat)s, %(lng)s) lies outside the area this center serves; check the location."
            ) % {"lat": round(lat, 6), "lng": round(lng, 6)}
            raise BadInput(message, lat=message, lng=message)
        if grid_id is None and compound_id is None and locate:
            placement = finder.place(lat, lng)
            grid_id, compound_id = placement.grid_id, placement.compound_id
    community_id = None
    compound = None
    if compound_id is not None:
        try:
            compound = (
                Compound.objects.select_related("grid", "property_company")
                .defer("boundary", "grid__boundary")
                .get(pk=compound_id)
            )
        except Compound.DoesNotExist:
            raise BadInput(_("Unknown compound %(id)s.") % {"id": compound_id}) from None
        grid_id = grid_id or compound.grid_id
        community_id = compound.community_id
        if grid_id == compound.grid_id:
            return grid_id, compound.grid.community_id, compound
    if grid_id is not None:
        grid = Grid.objects.filter(pk=grid_id).values("community_id").first()
        if grid is None:
            raise BadInput(_("Unknown grid %(id)s.") % {"id": grid_id})
        community_id = grid["community_id"]
    return grid_id, community_id, compound


def _check_reporter(who: str, reporter: User | None, grid_id: int | None) -> None:
    """A street official reads only; a grid worker reports inside their own grids (where they can see
    the case afterwards)."""
    if who == User.Role.OFFICIAL:
        raise ActionForbidden(_("A street official may read cases, not create them."))
    if (
        who == User.Role.GRID_WORKER
        and reporter is not None
        and (grid_id is None or grid_id not in user_grid_ids(reporter))
    ):
        raise ActionForbidden(
            _("A grid worker reports cases inside their own grids; this place is not in one of yours.")
        )


def create_case(
    *,
    source: str,
    category_code: str,
    lat: Any,
    lng: Any,
    description: str = "",
    title: str = "",
    address: str = "",
    reporter: User | None = None,
    role: str | None = None,
    severity: str = "",
    emergency: bool = False,
    occurred_at: datetime | None = None,
    grid_id: int | None = None,
    compound_id: int | None = None,
    locate: bool = True,
    source_key: str = "",
    sensor_code: str = "",
    photos: Sequence[PhotoUpload] = (),
    auto: bool = True,
    savepoint: bool = True,
    read_back: bool = True,
) -> Case:
    """Create a case in `discovered`, then file and dispatch it as its category says.

    Reports with an open case of the same category nearby stay in `discovered` for the dispatcher to
    merge or file (sensor cases excepted: their source key already deduplicates them).
    Escalation steps due at once fire as the case is created (_fire_due_steps).
    open_case_from_alarm passes `savepoint=False` (it holds a savepoint around the call) and
    `read_back=False` (it needs the id only: the case is returned as built, not read again).
    """
    if source not in Case.Source.values:
        message = _("Unknown source %(source)s.") % {"source": source}
        raise BadInput(message, source=message)
    category = _category(category_code)
    lat = _coordinate(lat, "lat", -90, 90)
    lng = _coordinate(lng, "lng", -180, 180)
    severity = severity or category.severity
    if severity not in Severity.values:
        message = _("Unknown severity %(severity)s.") % {"severity": severity}
        raise BadInput(message, severity=message)
    title = (title or category.name).strip()
    if len(title) > MAX_TITLE or len(description) > MAX_DESCRIPTION:
        raise BadInput(_("The title or description is too long."))
    if occurred_at is not None and timezone.is_naive(occurred_at):
        raise BadInput(_("The time of occurrence needs a time zone."))
    photos = check_photos(photos)
    who = role_of(reporter, role)
    # People's reports must lie in the area; a sensor's point was checked when it was registered.
    grid_id, community_id, compound = _place(
        lat, lng, grid_id, compound_id, locate, in_territory=source != Case.Source.SENSOR
    )
    _check_reporter(who, reporter, grid_id)
    now = timezone.now()

    with transaction.atomic(savepoint=savepoint):
        case = Case(
            source=source,
            source_key=source_key,
            sensor_code=sensor_code,
            category=category,
            title=title,
            description=description,
            address=address[:200],
            severity=severity,
            priority=SEVERITY_PRIORITY[Severity(severity)],
            emergency=emergency,
            lat=lat,
            lng=lng,
            grid_id=grid_id,
            community_id=community_id,
            compound=compound,
            reporter=reporter,
            occurred_at=occurred_at or now,
            created_at=now,
            updated_at=now,
            stage_started_at=now,
            last_alarm_at=occurred_at if source == Case.Source.SENSOR else None,
        )
        workflow.start_stage(case, now)
        escalations = copy_policy(case)
        new = workflow.start_new_case(case, escalations, actor=reporter, role=who)
        if auto:
            _auto_advance(new, now)
        _fire_due_steps(new, now)
        creation = workflow.insert_new_case(new)
        if photos:
            save_photos(case=case, event=creation, photos=photos, uploaded_by=reporter)
    return Case.objects.select_related("category").get(pk=case.pk) if read_back else case


def _fire_due_steps(new: workflow.NewCase, now: datetime) -> None:
    """Steps due at once (wait 0 from the start) fire before the case is inserted, in its transaction:
    the case, its events and its first notifications are written together, and one task sends them.
    (After commit, in transitions and tasks of their own, they cost an alarm's case more than half of
    its worker CPU: the case read and locked again, a step, an event and a task each.)"""
    due = [
        step
        for step in new.escalations
        if step.state == CaseEscalation.State.WAITING and step.due_at is not None and step.due_at <= now
    ]
    for step in due:  # in position order, as copied from the policy
        try:
            workflow.advance_new_case(new, action="escalate", at=now, params={"position": step.position})
        except WorkflowError:
            continue  # not due in the case's status: the deadline sweep looks again


def _auto_advance(new: workflow.NewCase, now: datetime) -> None:
    case = new.case
    category = case.category
    if not (category.auto_file or case.emergency):
        return
    if case.source != Case.Source.SENSOR and merge_candidates(
        category=category, lat=case.lat, lng=case.lng, exclude_id=case.pk
    ):
        return  # a possible duplicate: the dispatcher decides
    workflow.advance_new_case(new, action="file", at=now)
    if category.auto_dispatch or case.emergency:
        try:
            workflow.advance_new_case(new, action="dispatch", at=now)
        except BadInput:
            # Nobody found to send it to: it waits, filed, in the dispatcher's queue.
            logger.warning("new case %r: automatic dispatch found no department or person", case.title)


def _open_case_for_key(source_key: str) -> Case | None:
    """The open case of this key, its row locked (not its category's: every new case reads that)."""
    # Fixed SQL (cases/db.py): for a new case (no row found) Django took longer to compile the query than
    # PostgreSQL to run it.
    case_id = db.open_case_id_for_key(source_key)
    if case_id is None:
        return None
    # The compound names the place in the case's events.
    return Case.objects.select_related("category", "compound").defer("compound__boundary").get(pk=case_id)


def _note_repeat(case: Case, *, occurred_at: datetime, severity: str) -> None:
    case.alarm_count += 1
    case.last_alarm_at = max(filter(None, [case.last_alarm_at, occurred_at]))
    case.sensor_normal_since = None
    fields = ["alarm_count", "last_alarm_at", "sensor_normal_since", "version", "updated_at"]
    if severity in Severity.values and SEVERITY_PRIORITY[Severity(severity)] < case.priority:
        case.severity = severity
        case.priority = SEVERITY_PRIORITY[Severity(severity)]
        fields += ["severity", "priority"]
    case.version += 1
    case.updated_at = timezone.now()
    case.save(update_fields=fields)
    broadcast_case(case, "updated")


def alarm_cases_together() -> AbstractContextManager[None]:
    """For a task that opens many alarms' cases (contract with devices): the notifications of the cases
    opened in this block go out together, a task as soon as 100 are there and the rest when it ends."""
    return notifications_sent_together()


def open_case_from_alarm(
    *,
    source_key: str,
    category_code: str,
    severity: str,
    title: str,
    description: str,
    lat: float,
    lng: float,
    grid_id: int | None,
    compound_id: int | None,
    occurred_at: datetime,
    emergency: bool = False,
    sensor_code: str = "",
) -> int:
    """The case for an alarm (contract with devices). Idempotent per source_key: an open case for the key
    is updated (one more alarm, sensor no longer normal) and its id returned; otherwise a sensor case is
    created and filed/dispatched as its category says. `sensor_code` (optional) makes the case findable
    by sensor point."""
    source_key = (source_key or "").strip()
    if not source_key or len(source_key) > 120:
        raise BadInput(_("An alarm case needs a source key of at most 120 characters."))
    if occurred_at is None or timezone.is_naive(occurred_at):
        raise BadInput(_("The alarm time needs a time zone."))
    # Prepared: PostgreSQL plans the same few statements for every alarm (cases_case has 16 indexes).
    with prepared_statements(), transaction.atomic():
        existing = _open_case_for_key(source_key)
        if existing is not None:
            _note_repeat(existing, occurred_at=occurred_at, severity=severity)
            return existing.pk
        try:
            with transaction.atomic():
                case = create_case(
                    source=Case.Source.SENSOR,
                    category_code=category_code,
                    lat=lat,
                    lng=lng,
                    title=title,
                    description=description,
                    severity=severity,
                    emergency=emergency,
                    occurred_at=occurred_at,
                    grid_id=grid_id,
                    compound_id=compound_id,
                    locate=grid_id is None and compound_id is None,
                    source_key=source_key,
                    sensor_code=sensor_code[:64],
                    savepoint=False,  # this block's savepoint is enough
                    read_back=False,
                )
            return case.pk
        except IntegrityError:
            # Another process opened the case for this key a moment ago (the unique constraint says so).
            existing = _open_case_for_key(source_key)
            if existing is None:
                raise
            _note_repeat(existing, occurred_at=occurred_at, severity=severity)
            return existing.pk


def note_sensor_normal(*, case_id: int, normal_since: datetime) -> None:
    """The sensor behind the case is back to normal since `normal_since` (verification may need it)."""
    if normal_since is None or timezone.is_naive(normal_since):
        raise BadInput(_("The time the sensor became normal needs a time zone."))
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("category").filter(pk=case_id).first()
        if case is None:
            raise CaseNotFound(_("Case %(id)s does not exist.") % {"id": case_id})
        if not case.is_open:
            return
        if case.sensor_normal_since is not None and case.sensor_normal_since <= normal_since:
            return  # already normal since earlier: nothing new
        case.sensor_normal_since = normal_since
        case.version += 1
        case.updated_at = timezone.now()
        case.save(update_fields=["sensor_normal_since", "version", "updated_at"])
        broadcast_case(case, "updated")


def reopen_threshold() -> int:
    return int(getattr(settings, "CASES_REOPEN_AT_STARS", 2))


def rate_case(
    *,
    case_id: int,
    stars: int,
    comment: str = "",
    actor: User | None = None,
) -> Case:
    """A resident's (or, by phone, a dispatcher's) rating of a closed case; 2 stars or less reopens it."""
    role = None if actor is not None else workflow.NonStaff.RESIDENT
    with transaction.atomic():
        case = apply_transition(
            case_id=case_id,
            action="rate",
            actor=actor,
            role=role,
            note=comment,
            params={"stars": stars},
        )
        if case.status == Case.Status.CLOSED and stars <= reopen_threshold():
            case = apply_transition(
                case_id=case_id,
                action="reopen",
                actor=actor,
                role=role,
                note=str(_("Rated %(stars)s stars: %(comment)s") % {"stars": stars, "comment": comment}),
            )
    return case


def fire_due_escalations(*, case_id: int | None = None, now: datetime | None = None, limit: int = 500) -> int:
    """Fire the escalation steps that are due (for one case, or all). Each in its own transaction."""
    now = now or timezone.now()
    due = CaseEscalation.objects.filter(state=CaseEscalation.State.WAITING, due_at__lte=now).exclude(
        case__status=Case.Status.SUSPENDED
    )
    if case_id is not None:
        due = due.filter(case_id=case_id)
    fired = 0
    for step_id, step_case_id in due.order_by("due_at").values_list("pk", "case_id")[:limit]:
        try:
            apply_transition(case_id=step_case_id, action="escalate", params={"step": step_id}, at=now)
            fired += 1
        except WorkflowError:
            continue  # fired or stopped meanwhile by another sweep or a transition
    return fired


def mark_overdue_cases(*, now: datetime | None = None, limit: int = 1000) -> int:
    now = now or timezone.now()
    ids = (
        Case.objects.filter(status__in=Case.Status.TIMED, overdue=False, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)[:limit]
    )
    marked = 0
    for case_id in list(ids):
        try:
            apply_transition(case_id=case_id, action="mark_overdue", at=now)
            marked += 1
        except WorkflowError:
            continue  # acted on meanwhile: no longer overdue
    return marked


def requeue_notifications(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Pending notifications whose task was lost or whose retry is due go back to the queue."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Notification.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        # A lease: the sweep does not enqueue them again for a minute.
        Notification.objects.filter(pk__in=ids).update(next_attempt_at=now + timedelta(seconds=60))
        enqueue_notifications(ids)
    return len(ids)


def sweep_deadlines(*, now: datetime | None = None) -> dict[str, int]:
    """The beat job: mark overdue cases, fire due escalation steps, requeue due notifications, forget the
    answers of writes older than their idempotency keys' day."""
    now = now or timezone.now()
    return {
        "overdue": mark_overdue_cases(now=now),
        "escalated": fire_due_escalations(now=now),
        "requeued": requeue_notifications(now=now),
        "forgotten": forget_old_answers(now=now),
    }
