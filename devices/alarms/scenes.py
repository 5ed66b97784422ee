"""An administrator's one-click changes to a scene from the statistics' scene review."""

from datetime import datetime
from datetime import time as dt_time

from django.utils import timezone

from devices.models import Scene


def tune_scene_dwell(*, scene_id: int, dwell_seconds: int) -> Scene:
    """Make a scene wait longer before an alarm (delivery riders stopping for a minute are not parking)."""
    scene = Scene.objects.get(pk=scene_id)
    scene.dwell_seconds = dwell_seconds
    scene.save(update_fields=["dwell_seconds"])
    return scene


def limit_scene_hours(*, scene_id: int, active_from: dt_time, active_until: dt_time) -> Scene:
    """Let a scene raise alarms only between two times of day (it may wrap past midnight)."""
    scene = Scene.objects.get(pk=scene_id)
    scene.active_from, scene.active_until = active_from, active_until
    scene.save(update_fields=["active_from", "active_until"])
    return scene


def retire_scene(*, scene_id: int, now: datetime | None = None) -> Scene:
    """Switch a scene off for good: it raises nothing and takes no new points (its history stays)."""
    scene = Scene.objects.get(pk=scene_id)
    scene.enabled = False
    scene.retired_at = scene.retired_at or now or timezone.now()
    scene.save(update_fields=["enabled", "retired_at"])
    return scene
