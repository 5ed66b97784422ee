"""What the wall screen (一屏统览) shows: whose screen it is, and the snapshot it loads.

`screen_scope()` decides once what a viewer's screen covers (the socket and the snapshot share it).
`build_snapshot()` reads everything the page draws, scoped through grids/scoping.py; the page loads
it on start, on every reconnect and whenever the socket reports a gap, so the page always converges to
the database whatever the channel layer dropped.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from command_center.models import User
from command_center.realtime import DISTRICT_GROUP, current_seqs, grid_group
from devices.models import Scene, SensorPoint
from grids.api.views import GRID_SCOPE
from grids.models import Compound, Grid, PatrolPosition
from grids.scoping import ScopePaths, scope_queryset

M = TypeVar("M", bound=Model)

SECTIONS = ("kpis", "charts", "grids", "alarms", "cases", "workers", "tracks", "points")
POINT_SCOPE = ScopePaths(grid="grid", department="department")
PATROL_SCOPE = ScopePaths(grid="grid", assignee="user")
COMPOUND_SCOPE = ScopePaths(grid="grid", department="property_company")
# A storm may leave 60,000 alarms active: the map gets the newest ones, the tiles the true totals.
MAP_ROWS_LIMIT = 20_000
TRACK_POINTS_PER_WORKER = 240
TREND_DAYS = 7


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
    groups: list[str]  # the realtime groups the socket joins

    def shows_grid(self, grid_id: Any) -> bool:
        return self.grid_ids is None or grid_id in self.grid_ids

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
    if user.role == User.Role.OFFICIAL:
        # One subscription, filtered per event: a street may have hundreds of grids.
        return ScreenScope(user=user, grid_id=None, grid_ids=grid_ids, groups=[DISTRICT_GROUP])
    return ScreenScope(
        user=user, grid_id=None, grid_ids=grid_ids, groups=[grid_group(pk) for pk in sorted(grid_ids)]
    )


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
    }
    alarms = active_alarms(screen) if {"alarms", "grids"} & set(sections) else []
    cases = open_cases(screen, now=now) if {"cases", "grids"} & set(sections) else []
    if "grids" in sections:
        snapshot["grids"] = grid_rows(screen, alarms=alarms, cases=cases)
        snapshot["compounds"] = compound_rows(screen)
    if "alarms" in sections:
        snapshot["alarms"] = alarms[:MAP_ROWS_LIMIT]
    if "cases" in sections:
        snapshot["cases"] = cases[:MAP_ROWS_LIMIT]
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


def grid_rows(
    screen: ScreenScope, *, alarms: list[dict[str, Any]], cases: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    open_by_grid: Counter[int] = Counter()
    overdue_by_grid: Counter[int] = Counter()
    emergency_grids: set[int] = set()
    alarms_by_grid: Counter[int] = Counter()
    for case in cases:
        open_by_grid[case["grid"]] += 1
        overdue_by_grid[case["grid"]] += bool(case["overdue"])
        if case["emergency"]:
            emergency_grids.add(case["grid"])
    for alarm in alarms:
        alarms_by_grid[alarm["grid"]] += 1
        if alarm["severity"] == "critical":
            emergency_grids.add(alarm["grid"])
    workers: dict[int, list[str]] = defaultdict(list)
    grids = screen.scoped(Grid.objects.select_related("community"), GRID_SCOPE).order_by("code")
    through = Grid.workers.through.objects.filter(grid__in=grids).select_related("user")
    for link in through.order_by("user__username"):
        workers[link.grid_id].append(str(link.user))
    rows = []
    for grid in grids:
        if grid.pk in emergency_grids:
            state = "emergency"
        elif overdue_by_grid[grid.pk]:
            state = "overdue"
        elif open_by_grid[grid.pk]:
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
                "open_cases": open_by_grid[grid.pk],
                "overdue": overdue_by_grid[grid.pk],
                "alarms": alarms_by_grid[grid.pk],
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
    """Today's track of each worker as [[lat, lng], ...], thinned to TRACK_POINTS_PER_WORKER."""
    today = screen.scoped(
        PatrolPosition.objects.filter(recorded_at__gte=day_start(timezone.localdate(now))), PATROL_SCOPE
    )
    points: dict[int, list[list[float]]] = defaultdict(list)
    for user_id, lat, lng in (
        today.order_by("user_id", "recorded_at")
        .values_list("user_id", "lat", "lng")
        .iterator(chunk_size=5000)
    ):
        points[user_id].append([lat, lng])
    tracks = []
    for user_id, line in points.items():
        step = max(1, -(-len(line) // TRACK_POINTS_PER_WORKER))
        thinned = line[::step]
        if thinned[-1] is not line[-1]:
            thinned.append(line[-1])  # always end where the worker is now
        tracks.append({"id": user_id, "line": thinned})
    return tracks


def point_rows(screen: ScreenScope, *, now: datetime) -> dict[str, Any]:
    """Sensor points as compact rows [id, code, lat, lng, scene index, online 1/0] for clustering."""
    scenes = list(Scene.objects.order_by("code").values_list("code", "name"))
    index = {code: i for i, (code, _name) in enumerate(scenes)}
    points = screen.scoped(SensorPoint.objects.exclude(status=SensorPoint.Status.RETIRED), POINT_SCOPE)
    rows = [
        [pk, code, lat, lng, index.get(scene_code, -1), int(point_online(last_seen, interval, now=now))]
        for pk, code, lat, lng, scene_code, last_seen, interval in points.order_by("pk").values_list(
            "pk", "code", "lat", "lng", "scene__code", "last_seen_at", "heartbeat_interval"
        )
    ]
    return {"scenes": [{"code": code, "name": name} for code, name in scenes], "points": rows}


def point_online(last_seen: datetime | None, interval: int, *, now: datetime) -> bool:
    # TODO(devices): use the ingest app's definition once it lands.
    return last_seen is not None and last_seen >= now - timedelta(seconds=2 * interval + 60)


# --- Alarms and cases (devices.models.Alarm, cases.models.Case) -----------------------------------


def active_alarms(screen: ScreenScope) -> list[dict[str, Any]]:
    return []


def open_cases(screen: ScreenScope, *, now: datetime) -> list[dict[str, Any]]:
    return []


# --- Figures ----------------------------------------------------------------------------------------


def kpis(screen: ScreenScope, *, now: datetime) -> dict[str, Any]:
    points = screen.scoped(SensorPoint.objects.exclude(status=SensorPoint.Status.RETIRED), POINT_SCOPE)
    online = offline = 0
    for last_seen, interval in points.values_list("last_seen_at", "heartbeat_interval").iterator(
        chunk_size=10000
    ):
        if point_online(last_seen, interval, now=now):
            online += 1
        else:
            offline += 1
    return {"points_online": online, "points_offline": offline}


def charts(screen: ScreenScope, *, now: datetime) -> dict[str, Any]:
    today = timezone.localdate(now)
    days = [today - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    return {"trend": {"days": [day.isoformat() for day in days]}}


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
