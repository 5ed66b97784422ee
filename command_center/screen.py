"""What the wall screen (一屏统览) shows: whose screen it is, and the snapshot it loads.

`screen_scope()` decides once what a viewer's screen covers (the socket and the snapshot share it).
`build_snapshot()` reads everything the page draws, scoped through grids/scoping.py; the page loads
it on start, on every reconnect and whenever the socket reports a gap, so the page always converges to
the database whatever the channel layer dropped.
"""

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, F, Max, Model, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely import LineString, Polygon, box, unary_union
from shapely.geometry import mapping

from cases.models import OPEN_STATUSES, Case
from cases.selectors import CASE_SCOPE
from command_center.broker_status import broker_warnings
from command_center.models import User
from command_center.realtime import DISTRICT_GROUP, current_seqs, grid_group
from devices.models import Alarm, Scene, SensorPoint
from devices.selectors import screen_counters
from grids.api.views import GRID_SCOPE
from grids.geometry import to_polygon
from grids.models import Building, Compound, Grid, PatrolPosition
from grids.scoping import ScopePaths, scope_queryset

M = TypeVar("M", bound=Model)

SECTIONS = ("kpis", "charts", "grids", "alarms", "cases", "workers", "tracks", "points")
POINT_SCOPE = ScopePaths(grid="grid", department="department")
ALARM_SCOPE = ScopePaths(grid="point__grid", department="point__department")
PATROL_SCOPE = ScopePaths(grid="grid", assignee="user")
COMPOUND_SCOPE = ScopePaths(grid="grid", department="property_company")
# A storm may leave 60,000 alarms active: the map gets the newest ones, the tiles the true totals.
MAP_ROWS_LIMIT = 20_000
TRACK_POINTS_PER_WORKER = 240
TRACK_TOLERANCE_DEGREES = 0.00003  # ~3 m: below a phone's GPS accuracy
TREND_DAYS = 7
KPI_WINDOW_DAYS = 30
HEALTH_ALARM_TYPES = (Alarm.OFFLINE, Alarm.LOW_BATTERY)


class BadScreenRequest(ValueError):
    """A malformed screen parameter (the API answers 400, the socket closes with 4400)."""


def grid_param(query_string: str) -> int | None:
    """The `grid` of a query string; None when absent; BadScreenRequest when it is not an id."""
    for pair in query_string.split("&"):
        key, _sep, value = pair.partition("=")
        if key == "grid":
            if value == "":
                return None
            if not value.isdigit() or len(value) > 18:
                raise BadScreenRequest(_("grid must be a grid id (a positive whole number)."))
            return int(value)
    return None


@dataclass(frozen=True)
class ScreenScope:
    user: User
    grid_id: int | None  # the per-grid screen /screen/?grid=<id>
    grid_ids: frozenset[int] | None  # the grids it shows; None: the whole district, unlocated rows too
    groups: list[str]  # the realtime group the socket follows (one: district or the grid's)
    department_id: int | None = None  # a department handler's socket: its department's cases only

    def shows_grid(self, grid_id: Any) -> bool:
        return self.grid_ids is None or grid_id in self.grid_ids

    def shows(self, event: Mapping[str, Any]) -> bool:
        """Whether a socket of this scope gets `event` (a realtime event, command_center.realtime)."""
        if self.department_id is not None:
            data = event.get("data") or {}
            return event.get("kind") == "case" and data.get("department") == self.department_id
        return self.shows_grid(event.get("grid"))

    def scoped(self, queryset: QuerySet[M], paths: ScopePaths) -> QuerySet[M]:
        queryset = scope_queryset(queryset, self.user, paths)
        if self.grid_id is not None and paths.grid is not None:
            queryset = queryset.filter(**{f"{paths.grid}__pk" if paths.grid else "pk": self.grid_id})
        elif self.grid_ids is not None and paths.grid is not None:
            # Grid workers: their grids only, not also what is assigned to them elsewhere.
            queryset = queryset.filter(**{f"{paths.grid}__pk__in" if paths.grid else "pk__in": self.grid_ids})
        return queryset


def screen_scope(user: User, grid_id: int | None) -> ScreenScope:
    """What `user`'s screen covers, or PermissionDenied saying why they have none."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Log in to see the wall screen."))
    if user.role == User.Role.HANDLER and not user.is_superuser:
        raise PermissionDenied(
            _("The wall screen is for dispatchers, street officials, administrators and grid workers.")
        )
    grids = scope_queryset(Grid.objects.all(), user, GRID_SCOPE)
    if grid_id is not None:
        if not grids.filter(pk=grid_id).exists():
            raise PermissionDenied(_("This grid does not exist or lies outside your area."))
        return ScreenScope(
            user=user, grid_id=grid_id, grid_ids=frozenset({grid_id}), groups=[grid_group(grid_id)]
        )
    if user.sees_whole_district:
        return ScreenScope(user=user, grid_id=None, grid_ids=None, groups=[DISTRICT_GROUP])
    grid_ids = frozenset(grids.values_list("pk", flat=True))
    # Officials and grid workers: the district's events, filtered to their grids per event (a street
    # may have hundreds of grids; one stream per screen keeps it at most 10 frames a second).
    return ScreenScope(user=user, grid_id=None, grid_ids=grid_ids, groups=[DISTRICT_GROUP])


def socket_scope(user: User, grid_id: int | None) -> ScreenScope:
    """What `user`'s socket covers: a screen's scope, or for a department handler (who has no wall screen
    but a console) the district's events about their department's cases. What is assigned to the viewer
    comes through their own group `user.<id>` (command_center.consumers)."""
    if user.is_authenticated and user.role == User.Role.HANDLER and not user.is_superuser and grid_id is None:
        if user.department_id is None:
            return ScreenScope(user=user, grid_id=None, grid_ids=frozenset(), groups=[])
        return ScreenScope(
            user=user,
            grid_id=None,
            grid_ids=frozenset(),
            groups=[DISTRICT_GROUP],
            department_id=user.department_id,
        )
    return screen_scope(user, grid_id)


def parse_sections(value: str | None) -> tuple[str, ...]:
    if not value:
        return SECTIONS
    sections = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [part for part in sections if part not in SECTIONS]
    if unknown:
        raise BadScreenRequest(
            _("Unknown section %(unknown)s; choose from %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(SECTIONS)}
        )
    return sections


def day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def build_snapshot(screen: ScreenScope, *, sections: tuple[str, ...] = SECTIONS) -> dict[str, Any]:
    """Everything the page shows, as of now.

    `version` counts the events sent to the screen's groups; it is read before anything else, so an
    event numbered after it may repeat what the snapshot holds (the page keeps the higher object
    version) but none numbered up to it is missing from the snapshot.
    """
    seqs = current_seqs(screen.groups)
    now = timezone.now()
    snapshot: dict[str, Any] = {
        "version": sum(seqs.values()),
        "seqs": seqs,
        "generated_at": now.isoformat(),
        "grid": screen.grid_id,
        "sections": list(sections),
        "warnings": [warning["message"] for warning in broker_warnings()],  # shown beside "Live"
    }
    if "grids" in sections:
        snapshot["grids"] = grid_rows(screen)
        snapshot["compounds"] = compound_rows(screen)
    if "alarms" in sections:
        snapshot["alarms"], snapshot["alarms_total"] = active_alarms(screen)
    if "cases" in sections:
        snapshot["cases"], snapshot["cases_total"] = open_cases(screen)
    if "workers" in sections:
        snapshot["workers"] = worker_rows(screen, now=now)
    if "tracks" in sections:
        snapshot["tracks"] = track_rows(screen, now=now)
    if "points" in sections:
        snapshot.update(point_rows(screen, now=now))
    if "kpis" in sections:
        snapshot["kpis"] = kpis(screen, now=now)
    if "charts" in sections:
        snapshot["charts"] = charts(screen, now=now)
    return snapshot


# --- Geography and people -------------------------------------------------------------------------


def grid_rows(screen: ScreenScope) -> list[dict[str, Any]]:
    """Grids with their state: emergency (an open emergency case or an active critical alarm), else
    overdue (an overdue open case), else open (an open case), else normal."""
    cases = case_queryset(screen).filter(status__in=OPEN_STATUSES, grid__isnull=False)
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
            line = list(LineString(line).simplify(TRACK_TOLERANCE_DEGREES, preserve_topology=False).coords)
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


# --- The base map drawn when no tile server answers -------------------------------------------------

BUILDING_HALF_SIZE_M = (9.0, 6.0)  # a footprint drawn around a building's point: ~18 m × 12 m
METRES_PER_DEGREE = 111_320.0
COORDINATE_DIGITS = 6  # ~0.1 m


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], float):
                return [round(v, COORDINATE_DIGITS) for v in value]
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _feature(layer: str, geometry: Any, name: str = "") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"layer": layer, "name": name},
        "geometry": _rounded(mapping(geometry)),
    }


def _footprint(lat: float, lng: float) -> Polygon:
    half_x, half_y = BUILDING_HALF_SIZE_M
    dlat = half_y / METRES_PER_DEGREE
    dlng = half_x / (METRES_PER_DEGREE * max(0.1, math.cos(math.radians(lat))))
    return box(lng - dlng, lat - dlat, lng + dlng, lat + dlat)


def basemap() -> dict[str, Any]:
    """The street's own geography as GeoJSON, for pages whose tile server does not answer (an intranet,
    an offline pilot, the demo): the street's area, what lies between compounds (its roads and squares:
    the street minus the compounds), compounds, and building footprints drawn around each building's
    point (buildings are stored as points). Layers: area, roads, compound, building. WGS84."""
    grids = [to_polygon(boundary) for boundary in Grid.objects.values_list("boundary", flat=True)]
    compounds = list(Compound.objects.order_by("code").values_list("name", "boundary"))
    features = []
    if grids:
        area = unary_union(grids)
        features.append(_feature("area", area))
        blocks = unary_union([to_polygon(boundary) for _name, boundary in compounds]) if compounds else None
        roads = area.difference(blocks) if blocks is not None else area
        if not roads.is_empty:
            features.append(_feature("roads", roads))
    features.extend(_feature("compound", to_polygon(boundary), name) for name, boundary in compounds)
    features.extend(
        _feature("building", _footprint(lat, lng), name)
        for name, lat, lng in Building.objects.order_by("pk").values_list("name", "lat", "lng")
    )
    return {"type": "FeatureCollection", "features": features}


# --- Alarms and cases (devices.models.Alarm, cases.models.Case) -----------------------------------


def alarm_queryset(screen: ScreenScope) -> QuerySet[Alarm]:
    """Incident alarms in scope. Device health (offline, low battery) shows as sensor state instead:
    a broker outage would otherwise bury the map under thousands of "offline" alarms."""
    alarms = Alarm.objects.exclude(type__in=HEALTH_ALARM_TYPES)
    return screen.scoped(alarms, ALARM_SCOPE)


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


def case_queryset(screen: ScreenScope) -> QuerySet[Case]:
    return screen.scoped(Case.objects.all(), CASE_SCOPE)


def open_cases(screen: ScreenScope) -> tuple[list[dict[str, Any]], int]:
    """The most urgent MAP_ROWS_LIMIT open cases as map rows, and how many are open in all."""
    cases = case_queryset(screen).filter(status__in=OPEN_STATUSES)
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


# --- Figures ----------------------------------------------------------------------------------------


def point_counts(screen: ScreenScope, *, now: datetime) -> dict[str, int]:
    """Active sensor points online (heard from within 3 heartbeats: `offline_after` ahead) and offline,
    in the screen's scope. Unlike devices.selectors.screen_counters, a point never heard from counts as
    offline here: the dispatcher should see that it is not reporting."""
    points = screen.scoped(SensorPoint.objects.filter(status=SensorPoint.Status.ACTIVE), POINT_SCOPE)
    counts = points.aggregate(total=Count("pk"), online=Count("pk", filter=Q(offline_after__gt=now)))
    return {"points_online": counts["online"], "points_offline": counts["total"] - counts["online"]}


def kpis(screen: ScreenScope, *, now: datetime) -> dict[str, Any]:
    """The KPI tiles. Rates cover the last KPI_WINDOW_DAYS days (DOMAIN.md formulas):
    on-time closure rate = closed on time ÷ (due − suspended), where due = closed in the window plus
    open cases already overdue; satisfaction = ratings of 4-5 stars ÷ ratings."""
    today = day_start(timezone.localdate(now))
    since = now - timedelta(days=KPI_WINDOW_DAYS)
    cases = case_queryset(screen)
    open_counts = cases.filter(status__in=OPEN_STATUSES).aggregate(
        n_open=Count("pk"),
        n_overdue=Count("pk", filter=Q(overdue=True)),
        n_emergency=Count("pk", filter=Q(emergency=True)),
        n_suspended_overdue=Count("pk", filter=Q(overdue=True, status=Case.Status.SUSPENDED)),
    )
    closed = cases.filter(status=Case.Status.CLOSED, closed_at__gte=since).aggregate(
        n_closed=Count("pk"),
        n_on_time=Count("pk", filter=Q(ever_overdue=False)),
        n_rated=Count("pk", filter=Q(satisfaction__isnull=False)),
        n_satisfied=Count("pk", filter=Q(satisfaction__gte=4)),
    )
    handling = cases.filter(
        handled_at__gte=since, dispatched_at__isnull=False, handled_at__isnull=False
    ).aggregate(average=Avg(F("handled_at") - F("dispatched_at")))["average"]
    due = closed["n_closed"] + open_counts["n_overdue"] - open_counts["n_suspended_overdue"]
    alarms = alarm_queryset(screen)
    ingest = screen_counters(now=now)  # the ingest rate and dead letters are the district's, unscoped
    return {
        "alarms_today": alarms.filter(raised_at__gte=today).count(),
        "active_alarms": alarms.filter(cleared_at__isnull=True).count(),
        "open_cases": open_counts["n_open"],
        "overdue": open_counts["n_overdue"],
        "emergency": open_counts["n_emergency"],
        "cases_today": cases.filter(created_at__gte=today).count(),
        "closed_today": cases.filter(status=Case.Status.CLOSED, closed_at__gte=today).count(),
        "avg_handling_seconds": round(handling.total_seconds()) if handling is not None else None,
        "on_time_rate": round(closed["n_on_time"] / due, 4) if due else None,
        "satisfaction_rate": round(closed["n_satisfied"] / closed["n_rated"], 4)
        if closed["n_rated"]
        else None,
        **point_counts(screen, now=now),
        "messages_per_second": ingest.get("messages_per_second"),
        "dead_letters_today": ingest.get("dead_letters_today"),
        "window_days": KPI_WINDOW_DAYS,
    }


def _per_day(queryset: QuerySet[Any], field: str, days: list[date]) -> list[int]:
    local = timezone.get_current_timezone()
    counts = dict(
        queryset.filter(**{f"{field}__gte": day_start(days[0])})
        .annotate(day=TruncDate(field, tzinfo=local))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
        .order_by()
    )
    return [counts.get(day, 0) for day in days]


def charts(screen: ScreenScope, *, now: datetime) -> dict[str, Any]:
    today = timezone.localdate(now)
    start = day_start(today)
    days = [today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    alarms = alarm_queryset(screen)
    cases = case_queryset(screen)
    by_source = dict(
        cases.filter(created_at__gte=start)
        .values("source")
        .annotate(n=Count("pk"))
        .values_list("source", "n")
        .order_by()
    )
    by_category = (
        cases.filter(created_at__gte=start)
        .values("category__code", "category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__code")[:10]
    )
    by_scene = (
        alarms.filter(raised_at__gte=start)
        .values("scene__code", "scene__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "scene__code")
    )
    return {
        "trend": {
            "days": [day.isoformat() for day in days],
            "alarms": _per_day(alarms, "raised_at", days),
            "cases": _per_day(cases, "created_at", days),
            "closed": _per_day(cases.filter(status=Case.Status.CLOSED), "closed_at", days),
        },
        "cases_by_source": [
            {"source": source, "count": by_source.get(source, 0)} for source in Case.Source.values
        ],
        "cases_by_category": [
            {"code": row["category__code"], "name": row["category__name"], "count": row["n"]}
            for row in by_category
        ],
        "alarms_by_scene": [
            {"code": row["scene__code"], "name": row["scene__name"] or str(_("Other")), "count": row["n"]}
            for row in by_scene
        ],
    }


def screen_labels() -> dict[str, Any]:
    """The page's words, translated here (json_script escapes them safely for the page)."""
    return {
        "connected": _("Live"),
        "disconnected": _("Offline"),
        "connecting": _("Connecting…"),
        "resyncing": _("Resynchronising…"),
        "events": {
            "alarm.raised": _("Alarm raised"),
            "alarm.updated": _("Alarm repeated"),
            "alarm.cleared": _("Alarm cleared"),
            "case.created": _("Case reported"),
            "case.filed": _("Case filed"),
            "case.dispatched": _("Case dispatched"),
            "case.accepted": _("Case accepted"),
            "case.handled": _("Case handled"),
            "case.verified": _("Case verified"),
            "case.closed": _("Case closed"),
            "case.overdue": _("Case overdue"),
            "case.escalated": _("Case escalated"),
            "case.reopened": _("Case reopened"),
            "case.rejected": _("Case rejected"),
            "case.returned": _("Case returned"),
            "case.merged": _("Case merged"),
            "case.reworked": _("Case sent back for rework"),
            "case.suspended": _("Case suspended"),
            "case.resumed": _("Case resumed"),
        },
        # Realtime case events carry the status code only: the page names it from here.
        "case_statuses": {value: str(label) for value, label in Case.Status.choices},
        "states": {
            "normal": _("Normal"),
            "open": _("Open cases"),
            "overdue": _("Overdue"),
            "emergency": _("Emergency"),
        },
        "severity": {
            "critical": _("Critical"),
            "major": _("Major"),
            "minor": _("Minor"),
            "warning": _("Warning"),
        },
        "sources": {
            "sensor": _("Sensor"),
            "patrol": _("Patrol"),
            "resident": _("Resident"),
            "hotline": _("Hotline 12345"),
            "video": _("Video/AI"),
            "manual": _("Manual entry"),
        },
        "grid": _("Grid"),
        "community": _("Community"),
        "state": _("State"),
        "open_cases": _("Open cases"),
        "overdue": _("Overdue"),
        "alarms": _("Active alarms"),
        "workers": _("Grid workers"),
        "only_this_grid": _("Show only this grid"),
        "scene": _("Scene"),
        "place": _("Place"),
        "severity_label": _("Severity"),
        "count": _("Repeats"),
        "raised_at": _("Raised at"),
        "status": _("Status"),
        "category": _("Category"),
        "deadline": _("Deadline"),
        "last_seen": _("Last position"),
        "sensor": _("Sensor"),
        "online": _("Online"),
        "offline": _("Offline"),
        "alarms_today": _("Alarms"),
        "cases_today": _("Cases reported"),
        "closed_today": _("Cases closed"),
        "hours": _("h"),
        "minutes": _("min"),
        "per_second": _("events/s"),
        "none": _("None"),
        "shown_of": _("%(shown)s shown of %(total)s"),
    }
