"""The wall screen's page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse

from cases.models import Case
from grids.models import Grid, Street
from screen.labels import screen_labels
from screen.panels import ordered
from screen.scope import BadScreenRequest, grid_param, screen_scope


@login_required
def screen(request: HttpRequest) -> HttpResponse:
    """The wall screen (一屏统览); `?grid=<id>` shows one grid. The page loads its data from the snapshot."""
    try:
        grid_id = grid_param(request.META.get("QUERY_STRING", ""))
    except BadScreenRequest as exc:
        return HttpResponseBadRequest(str(exc))
    scope = screen_scope(request.user, grid_id)  # type: ignore[arg-type]  # PermissionDenied: 403
    grid = Grid.objects.select_related("community").filter(pk=grid_id).first() if grid_id else None
    street = Street.objects.select_related("district").first()
    config = {
        "grid": scope.grid_id,
        "snapshot_url": reverse("screen-snapshot"),
        "basemap_url": reverse("screen-basemap"),
        "final_case_statuses": list(Case.Status.FINAL),
        "socket_path": "/ws/screen/",
        "tiles_url": settings.MAP_TILES_URL,
        "tiles_crs": settings.MAP_TILES_CRS,
        "center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
    }
    return render(
        request,
        "screen/screen.html",
        {
            "street": street,
            "grid": grid,
            "config": config,
            "labels": screen_labels(),
            "panels": [entry for entry in ordered() if entry.template],
        },
    )
