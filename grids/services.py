"""Writes of the geography app: grid workers' patrol positions (巡查轨迹)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from command_center.realtime import broadcast_on_commit

from .geometry import Locator
from .models import Grid, PatrolPosition

# A phone's clock may run a little fast; a position from further ahead is a bad clock, not a position.
MAX_CLOCK_AHEAD = timedelta(minutes=5)
# Phones upload what they buffered while offline; a week covers a phone left in a drawer over a holiday.
MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class PositionIn:
    lat: float
    lng: float
    recorded_at: datetime
    accuracy: float | None = None


def validate_position(position: PositionIn, *, now: datetime | None = None) -> None:
    """Raise ValidationError saying what is wrong with one position."""
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if not -90 <= position.lat <= 90:
        errors["lat"] = _("Latitude must be between -90 and 90.")
    if not -180 <= position.lng <= 180:
        errors["lng"] = _("Longitude must be between -180 and 180.")
    if position.accuracy is not None and position.accuracy < 0:
        errors["accuracy"] = _("Accuracy must not be negative.")
    if timezone.is_naive(position.recorded_at):
        errors["recorded_at"] = _("The time must carry a UTC offset, e.g. 2026-11-21T08:00:00+08:00.")
    elif position.recorded_at > now + MAX_CLOCK_AHEAD:
        errors["recorded_at"] = _("The time lies in the future; check the phone's clock.")
    elif position.recorded_at < now - MAX_AGE:
        errors["recorded_at"] = _("The position is older than 7 days.")
    if errors:
        raise ValidationError(errors)


def record_patrol_positions(*, user: User, positions: Sequence[PositionIn]) -> int:
    """Store a worker's positions (validated, located in their grid); returns how many were new.

    Idempotent: a position already stored for the same user and time is skipped. The latest new
    position moves the worker on the wall screens (one event per upload, not per point).
    """
    now = timezone.now()
    for position in positions:
        validate_position(position, now=now)
    if not positions:
        return 0
    locator = Locator.build(Grid.objects.values_list("id", "boundary"))
    grid_ids = locator.locate_many([(p.lat, p.lng) for p in positions])
    rows = [
        PatrolPosition(
            user=user,
            grid_id=grid_id,
            lat=p.lat,
            lng=p.lng,
            accuracy=p.accuracy,
            recorded_at=p.recorded_at,
        )
        for p, grid_id in zip(positions, grid_ids, strict=True)
    ]
    with transaction.atomic():
        existing = set(
            PatrolPosition.objects.filter(
                user=user, recorded_at__in=[row.recorded_at for row in rows]
            ).values_list("recorded_at", flat=True)
        )
        new_rows: dict[datetime, PatrolPosition] = {}
        for row in rows:
            if row.recorded_at not in existing:
                new_rows.setdefault(row.recorded_at, row)  # the same time twice in one upload: once
        # ignore_conflicts: a concurrent retry of the same upload may have inserted some meanwhile.
        PatrolPosition.objects.bulk_create(new_rows.values(), ignore_conflicts=True)
        if new_rows:
            _broadcast_latest(user=user, latest=new_rows[max(new_rows)])
    return len(new_rows)


def _broadcast_latest(*, user: User, latest: PatrolPosition) -> None:
    if PatrolPosition.objects.filter(user=user, recorded_at__gt=latest.recorded_at).exists():
        return  # an upload of old buffered points does not move the worker back
    place = ""
    if latest.grid_id is not None:
        place = Grid.objects.filter(pk=latest.grid_id).values_list("name", flat=True).first() or ""
    broadcast_on_commit(
        event="worker.moved",
        kind="worker",
        obj_id=user.pk,
        # One worker's positions are ordered by time, so the time in ms orders their events.
        version=int(latest.recorded_at.timestamp() * 1000),
        grid_id=latest.grid_id,
        data={
            "title": str(user),
            "lat": latest.lat,
            "lng": latest.lng,
            "place": place,
            "recorded_at": latest.recorded_at.isoformat(),
        },
    )
