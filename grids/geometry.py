"""Geometry with shapely: validation, centre points and point-in-polygon assignment.

Pure functions and a locator built once from (id, polygon) pairs; no database access here, so the
same locator serves one request or a 400,000-row CSV import (grids/selectors.py builds it).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon, shape

GeoJSON = dict[str, Any]


class GeometryError(ValueError):
    pass


def to_polygon(geojson: GeoJSON) -> Polygon:
    """A valid shapely Polygon from a GeoJSON Polygon geometry, or GeometryError saying why not."""
    if not isinstance(geojson, dict) or geojson.get("type") != "Polygon":
        raise GeometryError("boundary must be a GeoJSON Polygon geometry")
    try:
        polygon = shape(geojson)
    except Exception as exc:  # shapely raises several types for bad coordinates
        raise GeometryError(f"boundary coordinates are not a polygon: {exc}") from exc
    if not isinstance(polygon, Polygon) or polygon.is_empty or not polygon.is_valid:
        raise GeometryError("boundary polygon is empty or self-intersecting")
    min_lng, min_lat, max_lng, max_lat = polygon.bounds
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise GeometryError("boundary must be WGS84 longitude/latitude")
    return polygon


def polygon_centre(geojson: GeoJSON) -> tuple[float, float]:
    """(lat, lng) of a point guaranteed inside the polygon (a centroid may fall outside an L shape)."""
    point = to_polygon(geojson).representative_point()
    return round(point.y, 7), round(point.x, 7)


def rectangle(min_lng: float, min_lat: float, max_lng: float, max_lat: float) -> GeoJSON:
    ring = [
        [min_lng, min_lat],
        [max_lng, min_lat],
        [max_lng, max_lat],
        [min_lng, max_lat],
        [min_lng, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}


@dataclass(frozen=True)
class Locator:
    """Finds which polygon (by id) contains a point, with an STR-tree spatial index."""

    ids: Sequence[int]
    tree: shapely.STRtree

    @classmethod
    def build(cls, areas: Iterable[tuple[int, GeoJSON]]) -> "Locator":
        ids: list[int] = []
        polygons: list[Polygon] = []
        for area_id, boundary in areas:
            ids.append(area_id)
            polygons.append(to_polygon(boundary))
        return cls(ids=ids, tree=shapely.STRtree(polygons))

    def locate(self, lat: float, lng: float) -> int | None:
        return self.locate_many([(lat, lng)])[0]

    def locate_many(self, points: Sequence[tuple[float, float]]) -> list[int | None]:
        """Vectorised: one index query for all points. Where polygons overlap, the lowest id wins."""
        result: list[int | None] = [None] * len(points)
        if not points or not self.ids:
            return result
        coords = np.asarray([(lng, lat) for lat, lng in points], dtype=float)
        geoms = shapely.points(coords)
        point_idx, poly_idx = self.tree.query(geoms, predicate="intersects")
        for p, g in sorted(
            zip(point_idx.tolist(), poly_idx.tolist(), strict=True), key=lambda pair: -self.ids[pair[1]]
        ):
            result[p] = self.ids[g]
        return result
