"""/m/: the phones' web app for grid workers, department handlers and gate guards (one page, its service
worker and manifest). The page drives the case API (/api/v1/cases/…) and the patrol API with the
session's cookie and CSRF token; what it may show is what the API answers."""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import User
from cases import workflow
from cases.models import Case, Category, Severity

from .labels import mobile_labels

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "mobile" / "sw.js"
# What a guard may report: the categories a gate sees (the rest stay on the full list of the API).
GUARD_CATEGORIES = (
    "illegal-renovation",
    "fire-lane",
    "nonmotor-parking",
    "exposed-garbage",
    "group-rental",
    "noise",
)


def report_categories(user: User) -> list[dict[str, str]]:
    """The minor categories (小类) a person may report from the phone, by their names."""
    rows = Category.objects.filter(enabled=True, parent__isnull=False).exclude(code="sos")
    if user.role == User.Role.GATE_GUARD:
        rows = rows.filter(code__in=GUARD_CATEGORIES)
    return [{"code": c.code, "name": c.name} for c in rows.order_by("sort_order", "code")]


def app_options(request: HttpRequest) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    return {
        "user": {
            "id": user.pk,
            "name": str(user),
            "role": user.role,
            "username": user.username,
            "department": user.department.code if user.department else None,
            "departmentId": user.department_id,
        },
        "socketPath": "/ws/screen/",
        "serviceWorker": reverse("mobile-sw"),
        "scope": reverse("mobile"),
        "tilesUrl": settings.MAP_TILES_URL,
        "vendor": {
            "dexie": static("vendor/dexie/dexie.min.js"),
            "compressor": static("vendor/compressorjs/compressor.min.js"),
        },
        "statuses": dict(Case.Status.choices),
        "severities": dict(Severity.choices),
        "actions": {name: str(t.label) for name, t in workflow.TRANSITIONS.items()},
        "categories": report_categories(user),
        "patrols": user.role == User.Role.GRID_WORKER,
        "reports": user.role != User.Role.OFFICIAL,
        "labels": mobile_labels(),
    }


@login_required
def app(request: HttpRequest) -> HttpResponse:
    return render(request, "mobile/app.html", {"options": app_options(request)})


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker from /m/ so that it may control /m/ (a script under /static/ could not)."""
    response = HttpResponse(SERVICE_WORKER.read_text(encoding="utf-8"), content_type="text/javascript")
    response["Service-Worker-Allowed"] = reverse("mobile")
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    body = {
        "name": _("Street tasks"),
        "short_name": _("Tasks"),
        "lang": "zh-CN",
        "start_url": reverse("mobile"),
        "scope": reverse("mobile"),
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f4f6f9",
        "theme_color": "#0b5cab",
        "icons": [
            {"src": static(f"mobile/icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
             "purpose": "any"}
            for size in (192, 512)
        ] + [{"src": static("mobile/icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
              "purpose": "maskable"}],
    }  # fmt: skip
    response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response
