"""The street's own base map, drawn when no tile server answers: its area, roads between compounds,
compounds and building footprints as GeoJSON."""

import math
from typing import Any

from shapely import Polygon, box, unary_union
from shapely.geometry import mapping

from grids.geometry import to_polygon
from grids.models import Building, Compound, Grid

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
