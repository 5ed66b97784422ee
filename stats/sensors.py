"""Sensor KPIs (docs/kpis.md): alarms, false alarms and cases per scene in a period; offline and low
battery points now. Pure functions over querysets."""

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from devices.models import Alarm, SensorPoint
from devices.selectors import LOW_BATTERY

from .kpis import ratio, within
from .periods import Period

# Device-health alarms are not scene alarms: they say nothing about a scene's rules.
HEALTH_TYPES = (Alarm.OFFLINE, Alarm.LOW_BATTERY)


def scene_alarms(alarms: QuerySet[Alarm], period: Period) -> list[dict[str, Any]]:
    """Per scene: alarms raised in the period, false alarms and their rate, alarms that became cases."""
    rows = (
        alarms.filter(within("raised_at", period), scene__isnull=False)
        .exclude(type__in=HEALTH_TYPES)
        .values("scene_id", "scene__code", "scene__name")
        .annotate(
            alarms=Count("id"),
            false_alarms=Count("id", filter=Q(false_alarm=True)),
            with_case=Count("id", filter=Q(case_id__isnull=False)),
        )
        .order_by("-alarms", "scene__code")
    )
    return [
        {
            "scene": row["scene__code"],
            "scene_id": row["scene_id"],
            "name": row["scene__name"],
            "alarms": row["alarms"],
            "false_alarms": row["false_alarms"],
            "false_alarm_rate": ratio(row["false_alarms"], row["alarms"]),
            "with_case": row["with_case"],
            "alarm_to_case_rate": ratio(row["with_case"], row["alarms"]),
        }
        for row in rows
    ]


def alarm_totals(alarms: QuerySet[Alarm], period: Period) -> dict[str, Any]:
    totals = (
        alarms.filter(within("raised_at", period))
        .exclude(type__in=HEALTH_TYPES)
        .aggregate(
            alarms=Count("id"),
            false_alarms=Count("id", filter=Q(false_alarm=True)),
            with_case=Count("id", filter=Q(case_id__isnull=False)),
        )
    )
    return {
        **totals,
        "false_alarm_rate": ratio(totals["false_alarms"], totals["alarms"]),
        "alarm_to_case_rate": ratio(totals["with_case"], totals["alarms"]),
    }


def point_health(points: QuerySet[SensorPoint], now: datetime) -> dict[str, Any]:
    """Active points: offline (past their offline-after time) and low battery (below the alarm level)."""
    health = points.filter(status=SensorPoint.Status.ACTIVE).aggregate(
        points=Count("id"),
        offline=Count("id", filter=Q(offline_after__lte=now)),
        low_battery=Count("id", filter=Q(battery__lt=LOW_BATTERY)),
    )
    return {
        **health,
        "offline_rate": ratio(health["offline"], health["points"]),
        "low_battery_rate": ratio(health["low_battery"], health["points"]),
    }


def sensor_kpis(
    alarms: QuerySet[Alarm], points: QuerySet[SensorPoint], period: Period, now: datetime
) -> dict[str, Any]:
    return {
        **alarm_totals(alarms, period),
        **point_health(points, now),
        "scenes": scene_alarms(alarms, period),
    }
