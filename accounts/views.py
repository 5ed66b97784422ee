"""Where each role lands after login, and the error pages that lead back there."""

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseNotFound,
)
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import User

# Where each role lands after logging in (the one place; change a row to move a role). Dispatchers
# land on the console, their desk tool for filing, dispatching and closing; the wall screen runs on
# the wall and is a link away. Grid workers, handlers and gate guards work from their phones (/m/).
LANDING_PAGES: dict[str, str] = {
    User.Role.DISPATCHER: "console",
    User.Role.ADMIN: "admin:index",
    User.Role.OFFICIAL: "screen",
    User.Role.GRID_WORKER: "mobile",
    User.Role.HANDLER: "mobile",
    User.Role.GATE_GUARD: "mobile",
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
