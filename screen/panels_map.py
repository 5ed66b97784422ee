"""The map's panels: grids with their state, compounds, active alarms, open cases, grid workers,
their tracks and the sensor points."""

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Max, Q
from django.utils import timezone
from shapely import LineString

from cases.models import Case
from devices.models import Scene, SensorPoint
from devices.selectors import POINT_SCOPE
from grids.models import Compound, Grid, PatrolPosition
from grids.selectors import COMPOUND_SCOPE, GRID_SCOPE, PATROL_SCOPE
from screen.panels import panel
from screen.scope import ScreenScope, alarm_queryset, case_queryset, day_start

MAP_ROWS_LIMIT = 20_000
TRACK_POINTS_PER_WORKER = 240
TRACK_TOLERANCE_DEGREES = 0.00003  # ~3 m: below a phone's GPS accuracy


def grid_rows(screen: ScreenScope) -> list[dict[str, Any]]:
    """Grids with their state: emergency (an open emergency case or an active critical alarm), else
    overdue (an overdue open case), else open (an open case), else normal."""
    cases = case_queryset(screen).filter(status__in=Case.Status.OPEN, grid__isnull=False)
    case_counts: dict[int | None, Mapping[str, Any]] = {
        row["grid_id"]: row
        for row in cases.values("grid_id")
        .annotate(
            n_open=Count("pk"),
            n_overdue=Count("pk", filter=Q(overdue=True)),
            n_emergency=Count("pk", filter=Q(emergency=True)),
        )
        .order_by()
    }
    alarms = alarm_queryset(screen).filter(cleared_at__isnull=True, point__grid__isnull=False)
    alarm_counts: dict[int | None, Mapping[str, Any]] = {
        row["point__grid_id"]: row
        for row in alarms.values("point__grid_id")
        .annotate(n_active=Count("pk"), n_critical=Count("pk", filter=Q(severity="critical")))
        .order_by()
    }
    grids = screen.scoped(Grid.objects.select_related("community"), GRID_SCOPE).order_by("code")
    workers: dict[int, list[str]] = defaultdict(list)
    links = (
        Grid.workers.through.objects.filter(grid__in=grids).select_related("user").order_by("user__username")
    )
    for link in links:
        workers[link.grid_id].append(str(link.user))
    rows = []
    for grid in grids:
        case = case_counts.get(grid.pk, {})
        alarm = alarm_counts.get(grid.pk, {})
        if case.get("n_emergency") or alarm.get("n_critical"):
            state = "emergency"
        elif case.get("n_overdue"):
            state = "overdue"
        elif case.get("n_open"):
            state = "open"
        else:
            state = "normal"
        rows.append(
            {
                "id": grid.pk,
                "code": grid.code,
                "name": grid.name,
                "community": grid.community.name,
                "boundary": grid.boundary,
                "lat": grid.centre_lat,
                "lng": grid.centre_lng,
                "state": state,
                "open_cases": case.get("n_open", 0),
                "overdue": case.get("n_overdue", 0),
                "alarms": alarm.get("n_active", 0),
                "workers": workers.get(grid.pk, []),
            }
        )
    return rows


def compound_rows(screen: ScreenScope) -> list[dict[str, Any]]:
    compounds = screen.scoped(Compound.objects.all(), COMPOUND_SCOPE).order_by("code")
    return [
        {"id": pk, "name": name, "grid": grid_id, "boundary": boundary}
        for pk, name, grid_id, boundary in compounds.values_list("pk", "name", "grid_id", "boundary")
    ]


def worker_rows(screen: ScreenScope, *, now: datetime) -> list[dict[str, Any]]:
    """Each worker's latest position today (two indexed queries, no per-row subquery)."""
    today = screen.scoped(
        PatrolPosition.objects.filter(recorded_at__gte=day_start(timezone.localdate(now))), PATROL_SCOPE
    )
    latest = dict(today.values_list("user_id").annotate(last=Max("recorded_at")).order_by())
    if not latest:
        return []
    rows = (
        PatrolPosition.objects.filter(user_id__in=latest, recorded_at__in=set(latest.values()))
        .select_related("user", "grid")
        .order_by("user_id")
    )
    workers = []
    for position in rows:
        if latest.get(position.user_id) != position.recorded_at:
            continue
        workers.append(
            {
                "id": position.user_id,
                "version": int(position.recorded_at.timestamp() * 1000),
                "name": str(position.user),
                "lat": position.lat,
                "lng": position.lng,
                "grid": position.grid_id,
                "place": position.grid.name if position.grid else "",
                "recorded_at": position.recorded_at.isoformat(),
            }
        )
    return workers


def track_rows(screen: ScreenScope, *, now: datetime) -> list[dict[str, Any]]:
    """Today's track of each worker as [[lat, lng], ...]: simplified (straight stretches lose their
    middle points), then the most recent TRACK_POINTS_PER_WORKER points. Sampling every n-th point
    instead would draw chords across a beat walked many times a day."""
    today = screen.scoped(
        PatrolPosition.objects.filter(recorded_at__gte=day_start(timezone.localdate(now))), PATROL_SCOPE
    )
    points: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for user_id, lat, lng in (
        today.order_by("user_id", "recorded_at")
        .values_list("user_id", "lat", "lng")
        .iterator(chunk_size=5000)
    ):
        points[user_id].append((lng, lat))
    tracks = []
    for user_id, line in points.items():
        if len(line) > 2:
            simple = LineString(line).simplify(TRACK_TOLERANCE_DEGREES, preserve_topology=False)
            line = [(x, y) for x, y in simple.coords]
        recent = line[-TRACK_POINTS_PER_WORKER:]
        tracks.append({"id": user_id, "line": [[round(lat, 7), round(lng, 7)] for lng, lat in recent]})
    return tracks


def point_rows(screen: ScreenScope, *, now: datetime) -> dict[str, Any]:
    """Sensor points as compact rows [id, code, lat, lng, scene index, online 1/0] for clustering
    (10,000 points: ~45 bytes each instead of ~200 as objects)."""
    scenes = list(Scene.objects.order_by("code").values_list("code", "name"))
    index = {code: i for i, (code, _name) in enumerate(scenes)}
    points = screen.scoped(SensorPoint.objects.exclude(status=SensorPoint.Status.RETIRED), POINT_SCOPE)
    rows = [
        [
            pk,
            code,
            lat,
            lng,
            index.get(scene_code, -1),
            int(offline_after is not None and offline_after > now),
        ]
        for pk, code, lat, lng, scene_code, offline_after in points.order_by("pk").values_list(
            "pk", "code", "lat", "lng", "scene__code", "offline_after"
        )
    ]
    return {"scenes": [{"code": code, "name": name} for code, name in scenes], "points": rows}


def active_alarms(screen: ScreenScope) -> tuple[list[dict[str, Any]], int]:
    """The newest MAP_ROWS_LIMIT active alarms as map rows, and how many are active in all."""
    active = alarm_queryset(screen).filter(cleared_at__isnull=True)
    total = active.count()
    rows = active.order_by("-raised_at", "-id").values(
        "id", "version", "severity", "count", "raised_at", "acknowledged_at", "type", "flapping",
        "point__code", "point__lat", "point__lng", "point__grid_id", "point__grid__name",
        "point__compound__name", "scene__code", "scene__name",
    )[:MAP_ROWS_LIMIT]  # fmt: skip
    return [
        {
            "id": row["id"],
            "version": row["version"],
            "title": f"{row['scene__name'] or row['type']} {row['point__code']}",
            "severity": row["severity"],
            "status": "acknowledged" if row["acknowledged_at"] else "active",
            "lat": row["point__lat"],
            "lng": row["point__lng"],
            "grid": row["point__grid_id"],
            "place": row["point__compound__name"] or row["point__grid__name"] or "",
            "sensor_point": row["point__code"],
            "scene": row["scene__code"],
            "scene_name": row["scene__name"],
            "type": row["type"],
            "count": row["count"],
            "flapping": row["flapping"],
            "raised_at": row["raised_at"].isoformat(),
        }
        for row in rows
    ], total


def open_cases(screen: ScreenScope) -> tuple[list[dict[str, Any]], int]:
    """The most urgent MAP_ROWS_LIMIT open cases as map rows, and how many are open in all."""
    cases = case_queryset(screen).filter(status__in=Case.Status.OPEN)
    total = cases.count()
    rows = cases.order_by("-emergency", "priority", F("deadline").asc(nulls_last=True), "-id").values(
        "id", "version", "title", "status", "severity", "emergency", "overdue", "deadline", "lat", "lng",
        "grid_id", "grid__name", "compound__name", "category__code", "category__name", "source", "created_at",
        "alarm_count", "sensor_code",
    )[:MAP_ROWS_LIMIT]  # fmt: skip
    labels = dict(Case.Status.choices)
    return [
        {
            "id": row["id"],
            "version": row["version"],
            "title": row["title"],
            "status": row["status"],
            "status_label": str(labels.get(row["status"], row["status"])),
            "severity": row["severity"],
            "emergency": row["emergency"],
            "overdue": row["overdue"],
            "deadline": row["deadline"].isoformat() if row["deadline"] else None,
            "lat": row["lat"],
            "lng": row["lng"],
            "grid": row["grid_id"],
            "place": row["compound__name"] or row["grid__name"] or "",
            "category": row["category__code"],
            "category_name": row["category__name"],
            "source": row["source"],
            "count": row["alarm_count"],
            "sensor_point": row["sensor_code"] or None,
            "created_at": row["created_at"].isoformat(),
        }
        for row in rows
    ], total


@panel("grids", position=30)
def grids_panel(screen: ScreenScope, now: datetime) -> dict[str, Any]:
    return {"grids": grid_rows(screen), "compounds": compound_rows(screen)}


@panel("alarms", position=40)
def alarms_panel(screen: ScreenScope, now: datetime) -> dict[str, Any]:
    alarms, total = active_alarms(screen)
    return {"alarms": alarms, "alarms_total": total}


@panel("cases", position=50)
def cases_panel(screen: ScreenScope, now: datetime) -> dict[str, Any]:
    cases, total = open_cases(screen)
    return {"cases": cases, "cases_total": total}


@panel("workers", position=60)
def workers_panel(screen: ScreenScope, now: datetime) -> dict[str, Any]:
    return {"workers": worker_rows(screen, now=now)}


@panel("tracks", position=70)
def tracks_panel(screen: ScreenScope, now: datetime) -> dict[str, Any]:
    return {"tracks": track_rows(screen, now=now)}


@panel("points", position=80)
def points_panel(screen: ScreenScope, now: datetime) -> dict[str, Any]:
    return point_rows(screen, now=now)
