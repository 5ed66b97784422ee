"""GET /api/v1/screen/snapshot[?grid=<id>][&sections=kpis,charts,...]: what the wall screen shows.
GET /api/v1/screen/basemap: the street's roads, compounds and buildings, for maps without tiles."""

from django.core.cache import cache
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import error_responses
from screen.basemap import basemap
from screen.scope import BadScreenRequest, grid_param, screen_scope
from screen.snapshot import SECTIONS, build_snapshot, parse_sections


@method_decorator(gzip_page, name="dispatch")  # 10,000 sensor points: ~0.5 MB of JSON, ~0.1 MB gzipped
class ScreenSnapshotView(APIView):
    """The wall screen's state in the caller's scope, with the `version` (event counter) it was read at.

    The page loads it on start, after every reconnect and whenever the socket reports a gap.
    `sections` limits the answer to some of: kpis, charts, grids, alarms, cases, workers, tracks, points.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("grid", OpenApiTypes.INT, description="only this grid (must be in scope)"),
            OpenApiParameter(
                "sections", OpenApiTypes.STR, description="comma-separated: " + ", ".join(SECTIONS)
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        try:
            grid_id = grid_param(request.META.get("QUERY_STRING", ""))
            sections = parse_sections(request.query_params.get("sections"))
        except BadScreenRequest as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        screen = screen_scope(request.user, grid_id)  # type: ignore[arg-type]
        return Response(build_snapshot(screen, sections=sections), headers={"Cache-Control": "no-store"})


BASEMAP_CACHE_SECONDS = 600  # geography changes when the admin edits it, rarely


@method_decorator(gzip_page, name="dispatch")
class ScreenBasemapView(APIView):
    """The street's own geography as GeoJSON (layers: area, roads, compound, building), which the maps
    draw under the grids when their tile server does not answer. The same for every logged-in user:
    it is the map, not the cases on it."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        data = cache.get_or_set("screen:basemap", basemap, BASEMAP_CACHE_SECONDS)
        return Response(data, headers={"Cache-Control": "private, max-age=600"})
