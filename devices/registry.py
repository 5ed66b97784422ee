"""The sensor point registry: register one point (admin, API), issue MQTT credentials, CSV import/export.

Grid and compound come from the location (grids.selectors.PlaceFinder, an STR-tree built once per
import) unless given. A CSV import is all-or-nothing: every bad row is reported with its line number
and reason, and nothing is written unless every row is good.
"""

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Building, Compound, Grid
from grids.selectors import PlaceFinder

from . import credentials
from .models import AcousticZone, Scene, SensorPoint
from .mqtt.payloads import DEVICE_CODE_RE


def resolve_scene(*, sensor_type: str, scene_code: str = "", scenes: Iterable[Scene] | None = None) -> Scene:
    """The scene of a new point: the one named, else the only live scene of its sensor type."""
    candidates = list(scenes) if scenes is not None else list(Scene.objects.filter(retired_at__isnull=True))
    if scene_code:
        scene = next((s for s in candidates if s.code == scene_code), None)
        if scene is None:
            raise ValidationError(
                {"scene": _("No scene %(code)s (or it is retired).") % {"code": scene_code}}
            )
        if sensor_type and scene.sensor_type != sensor_type:
            raise ValidationError(
                {
                    "type": _("Scene %(scene)s takes %(type)s sensors.")
                    % {"scene": scene.code, "type": scene.sensor_type}
                }
            )
        return scene
    matching = [s for s in candidates if s.sensor_type == sensor_type]
    if not matching:
        raise ValidationError({"type": _("No scene takes sensors of type %(type)s.") % {"type": sensor_type}})
    if len(matching) > 1:
        codes = ", ".join(sorted(s.code for s in matching))
        raise ValidationError(
            {
                "scene": _("Several scenes take %(type)s sensors; name one of: %(codes)s.")
                % {"type": sensor_type, "codes": codes}
            }
        )
    return matching[0]


BUILDING_RADIUS_M = 40  # a point this close to a building of its compound is placed in that building


class BuildingFinder:
    """The nearest building of a compound within BUILDING_RADIUS_M (buildings are points)."""

    def __init__(self, compound_ids: Iterable[int] | None = None) -> None:
        buildings = Building.objects.all()
        if compound_ids is not None:
            buildings = buildings.filter(compound_id__in=set(compound_ids))
        self.by_compound: dict[int, list[tuple[int, float, float]]] = {}
        for building_id, compound_id, lat, lng in buildings.values_list("id", "compound_id", "lat", "lng"):
            self.by_compound.setdefault(compound_id, []).append((building_id, lat, lng))

    def nearest(self, compound_id: int | None, lat: float, lng: float) -> int | None:
        if compound_id is None:
            return None
        best, best_m = None, float(BUILDING_RADIUS_M)
        metres_per_degree_lng = 111_320 * math.cos(math.radians(lat))
        for building_id, b_lat, b_lng in self.by_compound.get(compound_id, ()):
            metres = math.hypot((b_lat - lat) * 110_540, (b_lng - lng) * metres_per_degree_lng)
            if metres <= best_m:
                best, best_m = building_id, metres
        return best


def _check_location(lat: Any, lng: Any) -> tuple[float, float]:
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        raise ValidationError({"lat": _("Latitude and longitude must be numbers.")}) from None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError(
            {"lat": _("Latitude must be within -90..90 and longitude within -180..180 (WGS84).")}
        )
    return lat, lng


def register_point(
    *,
    code: str,
    sensor_type: str,
    lat: float,
    lng: float,
    scene_code: str = "",
    grid_id: int | None = None,
    compound_id: int | None = None,
    building_id: int | None = None,
    department_id: int | None = None,
    installed_on: dt.date | None = None,
    heartbeat_interval: int = 300,
    threshold: float | None = None,
    acoustic_zone: str = "",
    finder: PlaceFinder | None = None,
) -> tuple[SensorPoint, str]:
    """Create a point with MQTT credentials; returns the point and its password (shown once). The point
    must lie in the deployment's area (within reach of a grid or compound, once geography is loaded)."""
    lat, lng = _check_location(lat, lng)
    finder = finder or PlaceFinder()
    if not finder.within_territory(lat, lng):
        message = _(
            "This place (%(lat)s, %(lng)s) lies outside the area this center serves; check the location."
        ) % {"lat": round(lat, 6), "lng": round(lng, 6)}
        raise ValidationError({"lat": message, "lng": message})
    scene = resolve_scene(sensor_type=sensor_type, scene_code=scene_code)
    if building_id is not None and compound_id is None:
        compound_id = Building.objects.filter(pk=building_id).values_list("compound_id", flat=True).first()
    if compound_id is not None and grid_id is None:
        grid_id = Compound.objects.filter(pk=compound_id).values_list("grid_id", flat=True).first()
    if grid_id is None and compound_id is None:
        placement = finder.place(lat, lng)
        grid_id, compound_id = placement.grid_id, placement.compound_id
    if building_id is None and compound_id is not None:
        building_id = BuildingFinder([compound_id]).nearest(compound_id, lat, lng)
    point = SensorPoint(
        code=code,
        scene=scene,
        sensor_type=scene.sensor_type,
        lat=lat,
        lng=lng,
        grid_id=grid_id,
        compound_id=compound_id,
        building_id=building_id,
        department_id=department_id,
        installed_on=installed_on,
        heartbeat_interval=heartbeat_interval,
        threshold=threshold,
        acoustic_zone=acoustic_zone,
    )
    password = credentials.generate_password()
    point.mqtt_password_hash = credentials.mosquitto_hash(password)
    point.full_clean()
    point.save()
    return point, password


def issue_credentials(*, point_ids: Iterable[int]) -> list[tuple[str, str]]:
    """New MQTT passwords for these points (the old ones stop working at the next password file);
    returns (code, password) pairs, the only time the passwords are visible."""
    issued: list[tuple[str, str]] = []
    with transaction.atomic():
        points = list(SensorPoint.objects.select_for_update().filter(pk__in=list(point_ids)).order_by("code"))
        for point in points:
            password = credentials.generate_password()
            point.mqtt_password_hash = credentials.mosquitto_hash(password)
            issued.append((point.code, password))
        SensorPoint.objects.bulk_update(points, ["mqtt_password_hash"], batch_size=1000)
    return issued


def place_point(point: SensorPoint, *, finder: PlaceFinder | None = None) -> SensorPoint:
    """Grid and compound from the point's location (unsaved: the caller saves)."""
    placement = (finder or PlaceFinder()).place(point.lat, point.lng)
    point.grid_id, point.compound_id = placement.grid_id, placement.compound_id
    if point.building_id is None and point.compound_id is not None:
        point.building_id = BuildingFinder([point.compound_id]).nearest(
            point.compound_id, point.lat, point.lng
        )
    return point


# --------------------------------------------------------------------------------------------------
# CSV

CSV_COLUMNS = [
    "code",
    "type",
    "scene",
    "lat",
    "lng",
    "grid",
    "compound",
    "status",
    "installed_on",
    "heartbeat_interval",
    "threshold",
    "acoustic_zone",
]
REQUIRED_COLUMNS = {"code", "type", "lat", "lng"}
MAX_ERRORS = 200


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return _("line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


@dataclass(slots=True)
class _NewPoint:
    """A CSV row on its way in (model instances cost 40 µs each: too much for 400,000 rows)."""

    code: str
    scene_id: int
    sensor_type: str
    lat: float
    lng: float
    grid_id: int | None
    compound_id: int | None
    status: str
    installed_on: dt.date | None
    heartbeat_interval: int
    threshold: float | None
    acoustic_zone: str
    building_id: int | None = None


STATUSES = frozenset(SensorPoint.Status.values)
ZONES = frozenset(AcousticZone.values)


def import_points_csv(source: io.TextIOBase | Iterable[str], *, chunk: int = 50_000) -> int:
    """Import points from CSV (header row: code,type,lat,lng and optional scene, grid, compound (codes),
    status, installed_on, heartbeat_interval, threshold, acoustic_zone). All or nothing: raises
    ImportFailed with every bad row's line number and reason (up to 200), else returns the count.
    Grid, compound and building come from the location when not given. Credentials are issued
    separately (admin action), so an import never shows passwords."""
    reader = csv.DictReader(source)
    header = {name.strip() for name in reader.fieldnames or []}
    missing = REQUIRED_COLUMNS - header
    if missing:
        raise ImportFailed([RowError(1, _("missing columns: %(c)s") % {"c": ", ".join(sorted(missing))})])
    unknown = header - set(CSV_COLUMNS)
    if unknown:
        raise ImportFailed([RowError(1, _("unknown columns: %(c)s") % {"c": ", ".join(sorted(unknown))})])

    lookups = _Lookups()
    existing = set(SensorPoint.objects.values_list("code", flat=True))
    errors: list[RowError] = []
    points: list[_NewPoint] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            point = _point_from_row(row, lookups)
        except ValidationError as exc:
            errors.append(RowError(line, "; ".join(exc.messages)))
        else:
            if point.code in existing:
                errors.append(RowError(line, _("code %(code)s is already registered") % {"code": point.code}))
            elif point.code in seen:
                repeated = _("code %(code)s repeats line %(first)s") % {
                    "code": point.code,
                    "first": seen[point.code],
                }
                errors.append(RowError(line, repeated))
            else:
                seen[point.code] = line
                points.append(point)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise ImportFailed(errors)
    unplaced = [p for p in points if p.grid_id is None and p.compound_id is None]
    if unplaced:
        finder = PlaceFinder()
        for start in range(0, len(unplaced), chunk):
            part = unplaced[start : start + chunk]
            for point, placement in zip(part, finder.place_many([(p.lat, p.lng) for p in part]), strict=True):
                point.grid_id, point.compound_id = placement.grid_id, placement.compound_id
    buildings = BuildingFinder()
    for point in points:
        point.building_id = buildings.nearest(point.compound_id, point.lat, point.lng)
    with transaction.atomic():
        _insert_points(points, chunk)
    return len(points)


class _Lookups:
    """What a row refers to, loaded once per import."""

    def __init__(self) -> None:
        self.scenes = list(Scene.objects.filter(retired_at__isnull=True))
        self.grids = dict(Grid.objects.values_list("code", "id"))
        self.compounds = dict(Compound.objects.values_list("code", "id"))
        self.compound_grid = dict(Compound.objects.values_list("id", "grid_id"))
        self._scene_cache: dict[tuple[str, str], Scene | ValidationError] = {}

    def scene(self, sensor_type: str, scene_code: str) -> Scene:
        key = (sensor_type, scene_code)
        if key not in self._scene_cache:
            try:
                self._scene_cache[key] = resolve_scene(
                    sensor_type=sensor_type, scene_code=scene_code, scenes=self.scenes
                )
            except ValidationError as exc:
                self._scene_cache[key] = exc
        found = self._scene_cache[key]
        if isinstance(found, ValidationError):
            raise found
        return found


def _cell(row: dict[str, Any], name: str) -> str:
    return (row.get(name) or "").strip()


def _point_from_row(row: dict[str, Any], lookups: _Lookups) -> _NewPoint:
    if None in row:  # csv puts extra cells under the key None
        raise ValidationError(_("more cells than columns"))
    problems: list[str] = []
    code = _cell(row, "code")
    if not DEVICE_CODE_RE.match(code):
        problems.append(_("code must be 1-64 letters, digits, '.', '_' or '-'"))
    scene = None
    try:
        scene = lookups.scene(_cell(row, "type"), _cell(row, "scene"))
    except ValidationError as exc:
        problems.extend(exc.messages)
    try:
        lat, lng = _check_location(_cell(row, "lat"), _cell(row, "lng"))
    except ValidationError as exc:
        problems.extend(exc.messages)
        lat = lng = 0.0
    grid_id = compound_id = None
    if _cell(row, "compound"):
        compound_id = lookups.compounds.get(_cell(row, "compound"))
        if compound_id is None:
            problems.append(_("no compound %(code)s") % {"code": _cell(row, "compound")})
        else:
            grid_id = lookups.compound_grid[compound_id]
    if _cell(row, "grid"):
        grid_id = lookups.grids.get(_cell(row, "grid"))
        if grid_id is None:
            problems.append(_("no grid %(code)s") % {"code": _cell(row, "grid")})
    status = _cell(row, "status") or SensorPoint.Status.ACTIVE.value
    if status not in STATUSES:
        problems.append(_("status must be one of %(s)s") % {"s": ", ".join(sorted(STATUSES))})
    installed_on = None
    if _cell(row, "installed_on"):
        try:
            installed_on = dt.date.fromisoformat(_cell(row, "installed_on"))
        except ValueError:
            problems.append(_("installed_on must be a date like 2026-11-21"))
    heartbeat = 300
    if _cell(row, "heartbeat_interval"):
        try:
            heartbeat = int(_cell(row, "heartbeat_interval"))
            if heartbeat < 10:
                raise ValueError
        except ValueError:
            problems.append(_("heartbeat_interval must be whole seconds, at least 10"))
    threshold = None
    if _cell(row, "threshold"):
        try:
            threshold = float(_cell(row, "threshold"))
            if not math.isfinite(threshold):
                raise ValueError
        except ValueError:
            problems.append(_("threshold must be a number"))
    zone = _cell(row, "acoustic_zone")
    if zone and zone not in ZONES:
        problems.append(_("acoustic_zone must be one of %(z)s") % {"z": ", ".join(sorted(ZONES))})
    if problems or scene is None:
        raise ValidationError(problems)
    return _NewPoint(
        code=code,
        scene_id=scene.pk,
        sensor_type=scene.sensor_type,
        lat=lat,
        lng=lng,
        grid_id=grid_id,
        compound_id=compound_id,
        status=status,
        installed_on=installed_on,
        heartbeat_interval=heartbeat,
        threshold=threshold,
        acoustic_zone=zone,
    )


INSERT_COLUMNS = [
    "code", "scene_id", "sensor_type", "lat", "lng", "grid_id", "compound_id", "building_id", "status",
    "installed_on", "heartbeat_interval", "threshold", "acoustic_zone",
]  # fmt: skip


def _insert_points(points: list[_NewPoint], chunk: int) -> None:
    now = timezone.now()
    if connection.vendor != "postgresql":
        objs = [
            SensorPoint(**{name: getattr(p, name) for name in INSERT_COLUMNS}, created_at=now) for p in points
        ]
        SensorPoint.objects.bulk_create(objs, batch_size=2000)
        return
    # COPY: the fastest way into PostgreSQL (about 10x execute_values for wide rows).
    columns = [*INSERT_COLUMNS, "mqtt_password_hash", "created_at"]
    text_columns = "code, sensor_type, status, acoustic_zone, mqtt_password_hash"  # empty means "", not NULL
    sql = (
        f"COPY devices_sensorpoint ({', '.join(columns)}) FROM STDIN"
        f" WITH (FORMAT csv, FORCE_NOT_NULL ({text_columns}))"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(points), chunk):
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for p in points[start : start + chunk]:
                row = [p.code, p.scene_id, p.sensor_type, repr(p.lat), repr(p.lng), _n(p.grid_id)]
                row += [
                    _n(p.compound_id),
                    _n(p.building_id),
                    p.status,
                    _n(p.installed_on),
                    p.heartbeat_interval,
                ]
                row += [_n(p.threshold), p.acoustic_zone, "", now.isoformat()]
                writer.writerow(row)
            buffer.seek(0)
            cursor.cursor.copy_expert(sql, buffer)


def _n(value: Any) -> Any:
    """COPY csv: an unquoted empty field is NULL."""
    return "" if value is None else value


def export_points_csv(points: Iterable[SensorPoint]) -> Iterator[str]:
    """CSV lines (header first) in the import's format, so an export can be re-imported elsewhere."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for p in points:
        writer.writerow(
            [
                p.code,
                p.sensor_type,
                p.scene.code,
                p.lat,
                p.lng,
                p.grid.code if p.grid else "",
                p.compound.code if p.compound else "",
                p.status,
                p.installed_on.isoformat() if p.installed_on else "",
                p.heartbeat_interval,
                "" if p.threshold is None else p.threshold,
                p.acoustic_zone,
            ]
        )
        yield flush()
