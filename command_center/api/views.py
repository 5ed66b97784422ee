"""The API's answer for a path it does not have."""

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # a POST to no such place is a 404 as well, not a CSRF failure page
def not_found(request: HttpRequest) -> JsonResponse:
    """Any other path under /api/v1/ (ending in a slash): a JSON 404, as every answer of the API, rather
    than the site's HTML page (an id of the wrong shape, /api/v1/cases/1.5/file/, lands here)."""
    return JsonResponse({"detail": _("Not found.")}, status=404)
