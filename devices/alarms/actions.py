"""Alarm actions by people (API, admin): acknowledge, clear, call it a false alarm; who may do which."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import Alarm, SensorPoint
from .changes import AlarmChanges, lock_points

# Roles that may clear an alarm or call it false (anyone in scope may acknowledge).
CLEARING_ROLES: set[str] = {User.Role.ADMIN, User.Role.DISPATCHER, User.Role.GRID_WORKER}


class AlarmStateError(Exception):
    """The alarm's state does not allow the action (e.g. acknowledging a cleared alarm)."""


def may_clear(user: Any) -> bool:
    """Whether `user` may clear an alarm or mark it false."""
    return bool(user.is_superuser or user.role in CLEARING_ROLES)


def _locked_alarm(alarm_id: int) -> tuple[Alarm, SensorPoint, AlarmChanges]:
    point_id = Alarm.objects.filter(pk=alarm_id).values_list("point_id", flat=True).first()
    if point_id is None:
        raise Alarm.DoesNotExist(f"alarm {alarm_id} does not exist")
    point = lock_points([point_id])[point_id]
    alarm = Alarm.objects.select_related("scene").get(pk=alarm_id)
    changes = AlarmChanges(
        timezone.now(), {(point_id, alarm.type): alarm} if alarm.cleared_at is None else {}
    )
    return alarm, point, changes


def acknowledge_alarm(*, alarm_id: int, user: User) -> Alarm:
    """Someone has seen it and acts: stops the ack reminders. Idempotent; a cleared alarm is final."""
    with transaction.atomic():
        alarm, point, changes = _locked_alarm(alarm_id)
        if alarm.cleared_at is not None:
            raise AlarmStateError(_("This alarm is already cleared."))
        if alarm.acknowledged_at is None:
            alarm.acknowledged_at = changes.now
            alarm.acknowledged_by = user
            changes.touch(alarm, point)
            changes.save()
    return alarm


def clear_alarm(*, alarm_id: int, user: User) -> Alarm:
    """Clear by hand (the sensor is fixed or the cause removed). Idempotent."""
    with transaction.atomic():
        alarm, point, changes = _locked_alarm(alarm_id)
        if alarm.cleared_at is None:
            changes.clear(alarm, point, reason=Alarm.ClearReason.MANUAL, user=user)
            changes.save()
    return alarm


def mark_false_alarm(*, alarm_id: int, user: User) -> Alarm:
    """A false alarm: cleared if still active, and counted in its scene's false-alarm rate."""
    with transaction.atomic():
        alarm, point, changes = _locked_alarm(alarm_id)
        if alarm.false_alarm:
            return alarm
        alarm.false_alarm = True
        alarm.case_pending = False
        if alarm.cleared_at is None:
            changes.clear(alarm, point, reason=Alarm.ClearReason.FALSE_ALARM, user=user)
        else:
            changes.touch(alarm, point)
        changes.save()
    return alarm
