"""Reads of the devices app: scopes, the screen's counters and the scenes' alarm statistics."""

import time
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from grids.scoping import ScopePaths

from .ingest import RATE_KEY as RATE_KEY  # the ingest rate counters, read by runcenter
from .models import Alarm, DeadLetter, Scene, SensorPoint

# How the API and the screen scope points and alarms to a user (grids.scoping).
POINT_SCOPE = ScopePaths(grid="grid", department="department")
ALARM_SCOPE = ScopePaths(grid="point__grid", department="point__department")
RATE_WINDOW = 10  # seconds averaged for messages_per_second


def points_with_credentials() -> QuerySet[SensorPoint]:
    """The points a broker lets connect: not retired, credentials issued. Mosquitto's password file
    (manage.py mosquitto_auth) and the embedded broker of the standalone profile both use this."""
    return SensorPoint.objects.exclude(status=SensorPoint.Status.RETIRED).exclude(mqtt_password_hash="")


def device_password_hash(code: str) -> str:
    """The stored hash of a device that may connect, or "" (unknown, retired, no credentials)."""
    found = points_with_credentials().filter(code=code).values_list("mqtt_password_hash", flat=True).first()
    return found or ""


def messages_per_second(*, window: int = RATE_WINDOW) -> float:
    """Messages received by the listeners per second, over the last `window` complete seconds."""
    now = int(time.time())
    keys = [RATE_KEY.format(second=second) for second in range(now - window, now)]
    counts = cache.get_many(keys)
    return round(sum(int(v) for v in counts.values()) / window, 1)


def screen_counters(*, now: datetime | None = None, grid_id: int | None = None) -> dict[str, Any]:
    """Counters for the wall screen (contract): rate, dead letters today, points online/offline, alarms."""
    now = now or timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    points = SensorPoint.objects.filter(status=SensorPoint.Status.ACTIVE)
    alarms = Alarm.objects.filter(cleared_at__isnull=True)
    if grid_id is not None:
        points, alarms = points.filter(grid_id=grid_id), alarms.filter(point__grid_id=grid_id)
    online = points.aggregate(
        online=Count("id", filter=Q(offline_after__gt=now)),
        offline=Count("id", filter=Q(offline_after__lte=now)),
    )
    by_reason = dict(
        DeadLetter.objects.filter(received_at__gte=midnight)
        .values_list("reason")
        .annotate(n=Count("id"))
        .values_list("reason", "n")
    )
    return {
        "messages_per_second": messages_per_second(),
        "dead_letters_today": sum(by_reason.values()),
        "dead_letters_by_reason": by_reason,
        "points_online": online["online"],
        "points_offline": online["offline"],
        "active_alarms": alarms.count(),
    }


def with_alarm_statistics(scenes: QuerySet[Scene], *, now: datetime | None = None) -> QuerySet[Scene]:
    """Scenes annotated with alarm volume and false alarms over 7 and 30 days (the admin's list)."""
    now = now or timezone.now()
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    return scenes.annotate(
        alarms_7d=Count("alarms", filter=Q(alarms__raised_at__gte=week)),
        false_7d=Count("alarms", filter=Q(alarms__raised_at__gte=week, alarms__false_alarm=True)),
        alarms_30d=Count("alarms", filter=Q(alarms__raised_at__gte=month)),
        false_30d=Count("alarms", filter=Q(alarms__raised_at__gte=month, alarms__false_alarm=True)),
    )


def false_alarm_rate(alarms: int, false: int) -> float | None:
    return round(100 * false / alarms, 1) if alarms else None
