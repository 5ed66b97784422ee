"""Pages of the project itself: the wall screen and the health check."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from grids.models import Street


@login_required
def screen(request: HttpRequest) -> HttpResponse:
    street = Street.objects.select_related("district").first()
    grid = request.GET.get("grid", "")
    return render(
        request,
        "screen/screen.html",
        {
            "street": street,
            "grid_param": grid if grid.isdigit() else "",
            "map_tiles_url": settings.MAP_TILES_URL,
            "map_tiles_crs": settings.MAP_TILES_CRS,
        },
    )


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "profile": settings.PROFILE})
