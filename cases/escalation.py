"""Escalation: a policy's steps are copied onto the case when it starts; the steps due at once (wait 0)
fire as the case is created, in its transaction (fire_new_step); the beat sweep fires the others.

A step waits `after_minutes` from its anchor (the case's start, or the moment its current stage went
overdue), then notifies a target by its channels, repeats up to the policy's limit, and stops when the
case is accepted or closed (the step says which). Overdue-anchored steps re-arm at every new stage.
Nothing here uses Celery ETA/countdown: due times live in the database (DESIGN.md rule 4).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from grids.models import Community, DutyShift, Street
from grids.selectors import on_duty

from .catalogue import cached_catalogue
from .errors import IllegalTransition
from .models import (
    Case,
    CaseEscalation,
    Category,
    Channel,
    EscalationPolicy,
    EscalationStep,
    Notification,
    NotifyTarget,
    StepAnchor,
    StepUntil,
)
from .newcase import Firing, NewCase
from .notify import send_notifications

S = Case.Status


PolicySteps = tuple[EscalationPolicy, list[EscalationStep]]


def _policy_and_steps(category: Category, severity: str) -> PolicySteps | None:
    """The most specific enabled policy: category+severity, category, major category, then any."""
    candidates = [category.pk, category.parent_id, None] if category.parent_id else [category.pk, None]
    policies = [
        (policy, steps)
        for policy, steps in cached_catalogue().policies  # enabled ones, ordered by code
        if policy.category_id in candidates and policy.severity in (severity, "")
    ]

    def rank(item: PolicySteps) -> tuple[int, int]:
        policy = item[0]
        return candidates.index(policy.category_id), 0 if policy.severity else 1

    return min(policies, key=rank, default=None)


def choose_policy(category: Category, severity: str) -> EscalationPolicy | None:
    chosen = _policy_and_steps(category, severity)
    return chosen[0] if chosen else None


def copy_policy(case: Case) -> list[CaseEscalation]:
    """Set the chosen policy on a new case and return its steps as rows to insert once the case is saved
    (later policy edits do not touch them)."""
    chosen = _policy_and_steps(case.category, case.severity)
    if chosen is None:
        return []
    policy, steps = chosen
    case.escalation_policy = policy
    return [
        CaseEscalation(
            position=step.position,
            anchor=step.anchor,
            after_minutes=step.after_minutes,
            target=step.target,
            channels=list(step.channels),
            until=step.until,
            repeat_limit=policy.repeat_limit,
            repeat_every_minutes=policy.repeat_every_minutes,
            due_at=case.created_at + timedelta(minutes=step.after_minutes)
            if step.anchor == StepAnchor.START
            else None,
        )
        for step in steps
    ]


def is_finished(step: CaseEscalation, case: Case) -> bool:
    if case.status in Case.Status.FINAL:
        return True
    return step.until == StepUntil.ACCEPTED and case.status in S.ACCEPTED


def _unfinished(case: Case) -> Q | None:
    """is_finished as a filter: the steps that still run for the case in its status (None: none do)."""
    if case.status in Case.Status.FINAL:
        return None
    if case.status in S.ACCEPTED:
        return ~Q(until=StepUntil.ACCEPTED)
    return Q()


# The next two take `steps` for a case that is not inserted yet (workflow.NewCase): they change those in
# memory only. Otherwise one UPDATE changes the case's rows.


def stop_finished_steps(case: Case, steps: list[CaseEscalation] | None = None) -> None:
    if steps is not None:
        for step in steps:
            if step.state == CaseEscalation.State.WAITING and is_finished(step, case):
                step.state = CaseEscalation.State.STOPPED
                step.due_at = None
        return
    waiting = case.escalations.filter(state=CaseEscalation.State.WAITING)
    if case.status in Case.Status.FINAL:
        waiting.update(state=CaseEscalation.State.STOPPED, due_at=None)
    elif case.status in S.ACCEPTED:
        waiting.filter(until=StepUntil.ACCEPTED).update(state=CaseEscalation.State.STOPPED, due_at=None)


def arm_overdue_steps(case: Case, *, at: datetime) -> None:
    for step in case.escalations.filter(anchor=StepAnchor.OVERDUE, state=CaseEscalation.State.WAITING):
        step.due_at = at + timedelta(minutes=step.after_minutes)
        step.fire_count = 0
        step.save(update_fields=["due_at", "fire_count"])


def reset_overdue_steps(case: Case, steps: list[CaseEscalation] | None = None) -> None:
    """A new stage starts: overdue-anchored steps wait for that stage's overdue again."""
    waiting = CaseEscalation.State.WAITING
    if steps is not None:
        for step in steps:
            if step.anchor == StepAnchor.OVERDUE and not is_finished(step, case):
                step.state, step.due_at, step.fire_count = waiting, None, 0
        return
    running = _unfinished(case)
    if running is None:
        return
    case.escalations.filter(running, anchor=StepAnchor.OVERDUE).update(
        state=waiting, due_at=None, fire_count=0
    )


def recipients(case: Case, target: str, *, at: datetime) -> list[User]:
    active = User.objects.filter(is_active=True)
    users: list[User] = []
    if target == NotifyTarget.ASSIGNEE:
        if case.assignee_id:
            users = list(active.filter(pk=case.assignee_id))
        elif case.department_id:
            users = list(active.filter(department_id=case.department_id))
    elif target == NotifyTarget.DEPARTMENT:
        if case.department_id:
            users = list(active.filter(department_id=case.department_id))
    elif target == NotifyTarget.GRID_WORKER:
        if case.grid_id:
            users = list(on_duty(duty=DutyShift.Duty.GRID_WORKER, grid_id=case.grid_id, at=at))
            if not users:
                users = list(active.filter(grids=case.grid_id, role=User.Role.GRID_WORKER))
    elif target == NotifyTarget.DUTY_CHIEF:
        users = list(on_duty(duty=DutyShift.Duty.DUTY_CHIEF, at=at))
    elif target in (NotifyTarget.COMMUNITY_SECRETARY, NotifyTarget.STREET_LEADER):
        community = (
            Community.objects.select_related("secretary", "street__leader")
            .filter(pk=case.community_id or 0)
            .first()
        )
        if target == NotifyTarget.COMMUNITY_SECRETARY:
            person = community.secretary if community else None
        else:
            street = community.street if community else Street.objects.order_by("pk").first()
            person = street.leader if street else None
        users = [person] if person is not None and person.is_active else []
    return sorted({user.pk: user for user in users}.values(), key=lambda user: user.pk)


def _address(user: User | None, channel: str) -> str:
    if channel == Channel.WEBHOOK:
        return str(getattr(settings, "NOTIFY_WEBHOOK_URL", ""))
    if user is None:
        return ""
    if channel in (Channel.SMS, Channel.VOICE):
        return user.phone
    if channel == Channel.EMAIL:
        return user.email
    return f"user.{user.pk}"


def message_for(case: Case, *, reason: str) -> tuple[str, str]:
    flags = "".join([_("[Emergency] ") if case.emergency else "", _("[Overdue] ") if case.overdue else ""])
    subject = _("%(flags)sCase #%(id)s %(title)s · %(place)s") % {
        "flags": flags,
        "id": case.pk,
        "title": case.title,
        "place": case.place or "",
    }
    deadline = timezone.localtime(case.deadline).strftime("%m-%d %H:%M") if case.deadline else "—"
    body = _("%(reason)s Status: %(status)s. Deadline: %(deadline)s. Open: /console/?case=%(id)s") % {
        "reason": reason,
        "status": case.get_status_display(),
        "deadline": deadline,
        "id": case.pk,
    }
    return subject[:200], body


def _check_due(step: CaseEscalation | None, case: Case, now: datetime) -> CaseEscalation:
    """The step, if it may fire now (the case machine's rule for "escalate")."""
    if (
        step is None
        or step.state != CaseEscalation.State.WAITING
        or step.due_at is None
        or step.due_at > now
        or case.status == S.SUSPENDED
        or is_finished(step, case)
    ):
        raise IllegalTransition(_("This escalation step is not due."))
    return step


def _addressees(step: CaseEscalation, users: list[User]) -> list[tuple[str, User | None, str]]:
    """(channel, person, address) for each notification of the step: each person on each channel, a
    webhook once for the group; the address is empty where the person has none for the channel."""
    return [
        (channel, user, _address(user, channel))
        for channel in step.channels
        for user in ([None] if channel == Channel.WEBHOOK else users)
    ]


def _notifications(
    case: Case, step: CaseEscalation, fire_no: int, users: list[User], now: datetime
) -> list[Notification]:
    """One notification a person and channel of the step (one for a webhook); the case and the step are
    in the database (their ids make the idempotency keys and the message)."""
    reason = _("Escalation step %(n)s: %(target)s.") % {
        "n": step.position,
        "target": step.get_target_display(),
    }
    subject, body = message_for(case, reason=reason)
    wanted: list[Notification] = []
    for channel, user, address in _addressees(step, users):
        missing = not address
        wanted.append(
            Notification(
                idempotency_key=f"esc:{step.pk}:{fire_no}:{channel}:{user.pk if user else 'group'}",
                case=case,
                escalation=step,
                recipient=user,
                channel=channel,
                address=address,
                subject=subject,
                body=body,
                # No phone, e-mail or webhook: recorded as failed, so it shows (never silently dropped).
                status=Notification.Status.FAILED if missing else Notification.Status.PENDING,
                last_error=_("No address for this channel.") if missing else "",
                next_attempt_at=now + timedelta(seconds=60),
            )
        )
    return wanted


def _fired(step: CaseEscalation, users: list[User], now: datetime, notifications: int) -> dict[str, Any]:
    """Count the firing on the step (it waits for its next repeat, or is done); the event's details."""
    step.fire_count += 1
    step.last_fired_at = now
    if step.fire_count <= step.repeat_limit:
        step.due_at = now + timedelta(minutes=max(step.repeat_every_minutes, 1))
    else:
        step.state = CaseEscalation.State.DONE
        step.due_at = None
    return {
        "step": step.position,
        "target": step.target,
        "channels": list(step.channels),
        "recipients": [user.username for user in users],
        "recipient_names": [str(user) for user in users],
        "notifications": notifications,
        "fire": step.fire_count,
    }


def fire_step(case: Case, *, step_id: int, now: datetime) -> dict[str, Any]:
    """Notify a due step's target (inside apply_transition's transaction); returns the event's details."""
    locked = CaseEscalation.objects.select_for_update().filter(pk=step_id, case=case).first()
    step = _check_due(locked, case, now)
    users = recipients(case, step.target, at=now)
    wanted = _notifications(case, step, step.fire_count + 1, users, now)
    # Keys already there are kept as they are (idempotent). The step's row lock keeps any other firing of
    # this step out until we commit, so the rest are new: one INSERT, where get_or_create took a SELECT,
    # a savepoint and an INSERT for each (a smoke case's first steps notify 3-10 people at once).
    existing = set(
        Notification.objects.filter(idempotency_key__in=[n.idempotency_key for n in wanted])
        .order_by()
        .values_list("idempotency_key", flat=True)
    )
    new = Notification.objects.bulk_create([n for n in wanted if n.idempotency_key not in existing])
    created = [n.pk for n in new if n.status == Notification.Status.PENDING]
    details = _fired(step, users, now, len(created))
    step.save(update_fields=["fire_count", "last_fired_at", "due_at", "state"])
    enqueue_notifications(created)
    return details


def fire_new_step(new: NewCase, *, position: int, now: datetime) -> dict[str, Any]:
    """fire_step for a case not inserted yet: the step changes in memory and the firing is kept on
    `new`; insert_new_case writes its notifications once the case and its steps have ids."""
    case = new.case
    step = _check_due(next((s for s in new.escalations if s.position == position), None), case, now)
    users = recipients(case, step.target, at=now)
    # The count the event records: the notifications that will be sent (those with an address).
    sendable = sum(1 for _channel, _user, address in _addressees(step, users) if address)
    new.firings.append(Firing(step, users))
    return _fired(step, users, now, sendable)


def notify_new_case(case: Case, firings: list[Firing]) -> None:
    """Write the notifications of a new case's steps fired before it was inserted; send after commit."""
    wanted = [
        n
        for step, users in firings
        for n in _notifications(case, step, step.fire_count, users, step.last_fired_at or case.created_at)
    ]
    new = Notification.objects.bulk_create(wanted)
    enqueue_notifications([n.pk for n in new if n.status == Notification.Status.PENDING])


NOTIFICATIONS_PER_TASK = 100


class _Batch:
    """The notifications committed inside `notifications_sent_together()`, not sent yet."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.open = True

    def add(self, ids: list[int]) -> None:
        if not self.open:  # committed after the block ended (an outer transaction): send them now
            _send(ids)
            return
        self.ids.extend(ids)
        while len(self.ids) >= NOTIFICATIONS_PER_TASK:  # a full task goes now: the first do not wait
            _send(self.ids[:NOTIFICATIONS_PER_TASK])
            self.ids = self.ids[NOTIFICATIONS_PER_TASK:]


_batch: ContextVar[_Batch | None] = ContextVar("notification_batch", default=None)


@contextmanager
def notifications_sent_together() -> Iterator[None]:
    """Within this block, the notifications of every transaction that commits are sent by as few tasks
    as possible: a task as soon as 100 are there, the rest when the block ends. A storm's alarm task
    opens hundreds of cases, and a task each cost the worker more CPU than their sending. If the process
    dies first, the sweep requeues them (requeue_notifications)."""
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
        batch.open = False
        _send(batch.ids)


def enqueue_notifications(ids: list[int]) -> None:
    """After commit, one send_notifications task per 100 of these notifications (or with the others of
    a notifications_sent_together() block)."""
    if not ids:
        return
    batch = _batch.get()
    if batch is not None:
        transaction.on_commit(lambda: batch.add(ids))
    else:
        transaction.on_commit(lambda: _send(ids))


def _send(ids: list[int]) -> None:
    for start in range(0, len(ids), NOTIFICATIONS_PER_TASK):
        send_notifications.delay(ids[start : start + NOTIFICATIONS_PER_TASK])
