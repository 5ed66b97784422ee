"""Pages of the project itself: where each role lands, the wall screen, the error pages and the
health check."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

from command_center.broker_status import broker_warnings
from command_center.models import User
from command_center.screen import BadScreenRequest, grid_param, screen_labels, screen_scope
from grids.models import Grid, Street

# Where each role lands after logging in (the one place; change a row to move a role). Dispatchers
# land on the console, their desk tool for filing, dispatching and closing; the wall screen runs on
# the wall and is a link away. Grid workers and handlers get the console scoped to their cases until
# their phones' page exists.
LANDING_PAGES: dict[str, str] = {
    User.Role.DISPATCHER: "console",
    User.Role.ADMIN: "admin:index",
    User.Role.OFFICIAL: "screen",
    User.Role.GRID_WORKER: "console",
    User.Role.HANDLER: "console",
}


def landing_url(user: User | AnonymousUser) -> str:
    """The page `user` starts on (the login page for nobody)."""
    if not user.is_authenticated:
        return str(settings.LOGIN_URL)
    page = LANDING_PAGES.get(user.role, "console")
    if page.startswith("admin:") and not user.is_staff:
        page = "console"  # the admin site lets staff in only
    return reverse(page)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """LOGIN_REDIRECT_URL: each role to its own page."""
    return redirect(landing_url(request.user))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 in the site's layout: why, and a way to the viewer's own page."""
    context = _error_context(request, message=str(exception) if exception and str(exception) else "")
    return HttpResponseForbidden(render(request, "403.html", context).content)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    context = _error_context(request, message="")
    return HttpResponseNotFound(render(request, "404.html", context).content)


def _error_context(request: HttpRequest, *, message: str) -> dict[str, Any]:
    user = getattr(request, "user", None) or AnonymousUser()
    return {"message": message, "home_url": landing_url(user), "request_path": request.path}


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for whatever the page links: the SVG icon."""
    return redirect(static("favicon.svg"))


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
        "socket_path": "/ws/screen/",
        "tiles_url": settings.MAP_TILES_URL,
        "tiles_crs": settings.MAP_TILES_CRS,
        "center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
        "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
    }
    return render(
        request,
        "screen/screen.html",
        {"street": street, "grid": grid, "config": config, "labels": screen_labels()},
    )


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Up or not (a 500 when the database is unreachable), and warnings about the setup: [] when none."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "profile": settings.PROFILE, "warnings": broker_warnings()})
