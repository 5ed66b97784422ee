"""/health/: the platform answers, and what is wrong with its setup."""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from devices.mqtt.broker_status import broker_warnings


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Up or not (a 500 when the database is unreachable), and warnings about the setup: [] when none."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "profile": settings.PROFILE, "warnings": broker_warnings()})
