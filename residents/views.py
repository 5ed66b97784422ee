"""Residents' public pages (no account): /report/ and /report/<tracking_code>/, and public photos."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from . import selectors
from .photos import MAX_PHOTOS


def page_labels() -> dict[str, str]:
    return {
        "next": _("Next"),
        "back": _("Back"),
        "submit": _("Submit"),
        "sending": _("Sending…"),
        "locating": _("Finding your position…"),
        "located": _("Position found; drag the pin to correct it."),
        "noGeolocation": _("Your position is not available; tap the map where the problem is."),
        "chooseCategory": _("Choose what the problem is."),
        "describe": _("Describe the problem in a few words."),
        "pinFirst": _("Put the pin where the problem is."),
        "sameAs": _("Is it this problem?"),
        "sameAsHint": _("Someone reported these nearby. Choose one to add your report to it."),
        "noneNearby": _("Nobody has reported this nearby yet."),
        "newReport": _("No, it is another problem"),
        "thisOne": _("Yes, this one"),
        "metres": _("m away"),
        "reporters": _("residents reported it"),
        "tooManyPhotos": _("At most 3 photos."),
        "failed": _("Could not send. Check the connection and try again."),
        "retryAfter": _("Too many reports from here. Try again in %(minutes)s minutes."),
    }


def report_page(request: HttpRequest) -> HttpResponse:
    categories = [
        {"code": entry.category.code, "name": entry.category.name, "icon": entry.icon, "hint": entry.hint}
        for entry in selectors.public_categories()
    ]
    options = {
        "categories": categories,
        "reportUrl": reverse("resident-report-create"),
        "nearbyUrl": reverse("resident-report-nearby"),
        "areaUrl": reverse("residents:area"),
        "tilesUrl": settings.MAP_TILES_URL,
        "tilesCrs": settings.MAP_TILES_CRS,
        "center": list(settings.LEAFLET_CONFIG["DEFAULT_CENTER"]),
        "maxPhotos": MAX_PHOTOS,
        "timeZone": settings.TIME_ZONE,
        "labels": page_labels(),
    }
    return render(request, "residents/report.html", {"options": options})


def area(request: HttpRequest) -> JsonResponse:
    """The compounds' outlines and names (public facts) to place a pin without a tile server."""
    response = JsonResponse(selectors.compound_outlines())
    response["Cache-Control"] = "public, max-age=3600"
    return response


def tracking_page(request: HttpRequest, tracking_code: str) -> HttpResponse:
    report = selectors.report_by_code(tracking_code)
    if report is None:
        raise Http404
    seen = selectors.tracking(report)
    context = {
        "report": report,
        "description": selectors.mask_phone(report.description),
        "seen": seen,
        "icon": getattr(selectors.public_category(report.category.code), "icon", ""),
        "photo_urls": [reverse("residents:photo", args=[photo_id]) for photo_id in seen.photo_ids],
        "options": {
            "ratingUrl": reverse("resident-report-rating", args=[report.tracking_code]),
            "labels": {
                "chooseStars": _("Choose 1 to 5 stars."),
                "thanks": _("Thank you for your rating."),
                "reopened": _(
                    "Sorry it is not solved: the case is reopened and the community will call you."
                ),
                "failed": _("Could not send. Check the connection and try again."),
            },
        },
    }
    return render(request, "residents/tracking.html", context)


def public_photo(request: HttpRequest, photo_id: int) -> FileResponse:
    row = selectors.public_photo(photo_id)
    if row is None:
        raise Http404
    response = FileResponse(row.file.open("rb"), content_type=row.content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def agreement(request: HttpRequest, order_id: int) -> FileResponse:
    """A mediation agreement's PDF, for the staff who may see the order's parties."""
    order = selectors.mediation_orders().filter(pk=order_id).first()
    if order is None or not order.agreement_pdf or not selectors.may_see_parties(request.user, order):
        raise Http404
    response = FileResponse(order.agreement_pdf.open("rb"), content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    return response
