"""People and places pages: the overview with the worker's tasks, a building with its flats, a shop, a
care card with the visit form (phones), and the files (floor plans, photos, letters) served in scope."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F, Model
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import privacy
from accounts.models import User

from . import selectors, services
from .forms import VisitForm
from .models import Flat, Shop, ShopInspection, Visit


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _unmasked(request: HttpRequest, obj: Model, kinds: tuple[str, ...]) -> tuple[str, ...] | HttpResponse:
    """The kinds a `reason` in the query unmasks (logged), () without one; a 400/403 page when refused."""
    reason = request.GET.get("reason")
    if reason is None:
        return ()
    try:
        allowed = privacy.unmaskable_fields(_user(request), kinds, reason[:500])
    except privacy.PrivacyError as error:
        return HttpResponse(
            str(error.message), status=error.status_code, content_type="text/plain; charset=utf-8"
        )
    for kind in allowed:
        privacy.log_unmasked_read(_user(request), obj, kind, reason[:500])
    return allowed


def _plain(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _show(value: str, kind: str, unmasked: tuple[str, ...]) -> str:
    return value if kind in unmasked else privacy.mask(kind, value)


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "buildings": selectors.building_rental_counts(user).order_by(
            F("flat_count").desc(), "compound__name", "id"
        )[:200],
        "leases": selectors.leases_ending(user).order_by("lease_end")[:50],
        "certificates": selectors.expiring_certificates(user)[:50],
        "overdue": selectors.overdue_visits(user)[:50],
        "shops": selectors.shops(user)[:100],
        "care_people": [
            (care_person, privacy.mask_name(care_person.person.name))
            for care_person in selectors.care_people(user)[:100]
        ],
    }
    return render(request, "people/overview.html", context)


@login_required
def building(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    row = get_object_or_404(selectors.building_rental_counts(user), pk=pk)
    units: dict[str, list[selectors.FlatMark]] = {}
    for mark in selectors.building_flats(user, pk):
        units.setdefault(mark.flat.unit.name, []).append(mark)
    return render(request, "people/building.html", {"building": row, "units": units})


@login_required
def shop(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(selectors.shops(_user(request)).prefetch_related("staff", "inspections"), pk=pk)
    unmasked = _unmasked(request, row, (privacy.NAME, privacy.PHONE))
    if isinstance(unmasked, HttpResponse):
        return unmasked
    expiring = [item for item in selectors.expiring_certificates(_user(request)) if item.shop.pk == row.pk]
    expiring_staff = {item.staff.pk for item in expiring if item.staff is not None}
    staff = [
        {
            "name": _show(member.name, privacy.NAME, unmasked),
            "phone": _show(member.phone, privacy.PHONE, unmasked),
            "certificate": member.health_certificate_number,
            "expiry": member.health_certificate_expiry,
            "expiring": member.pk in expiring_staff,
        }
        for member in row.staff.all()
    ]
    context = {
        "shop": row,
        "contact_name": _show(row.contact_name, privacy.NAME, unmasked),
        "contact_phone": _show(row.contact_phone, privacy.PHONE, unmasked),
        "call": row.contact_phone if privacy.PHONE in unmasked else "",
        "staff": staff,
        "licence_expiring": any(item.kind == "licence" for item in expiring),
        "unmasked": bool(unmasked),
    }
    return render(request, "people/shop.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def care_card(request: HttpRequest, pk: int) -> HttpResponse:
    care_person = get_object_or_404(selectors.care_people(_user(request)).prefetch_related("contacts"), pk=pk)
    unmasked = _unmasked(request, care_person, privacy.FIELDS)
    if isinstance(unmasked, HttpResponse):
        return unmasked
    form = VisitForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if _user(request).role != User.Role.GRID_WORKER and not _user(request).is_superuser:
            return _plain(_("Only grid workers record visits."), 403)
        if form.is_valid():
            try:
                services.record_visit(care_person=care_person, visitor=_user(request), **form.visit_values())
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Visit recorded."))
                return HttpResponseRedirect(reverse("people-care", args=[pk]))
    card = selectors.care_card(care_person, unmasked=privacy.NAME in unmasked and privacy.PHONE in unmasked)
    context = {
        "card": card,
        "care_person": care_person,
        "form": form,
        "interval": selectors.visit_interval_days(care_person),
        "visits": care_person.visits.select_related("visitor")[:10],
        "unmasked": bool(unmasked),
        "may_unmask": privacy.may_unmask(_user(request), privacy.PHONE),
    }
    return render(request, "people/care_card.html", context)


FILES: dict[str, tuple[Any, str, str]] = {
    # kind → (model, file field, lookup to scope it)
    "floor-plan": (Flat, "floor_plan", "flats"),
    "door-photo": (Shop, "door_photo", "shops"),
    "pledge": (Shop, "pledge_file", "shops"),
    "safety-letter": (Shop, "safety_letter_file", "shops"),
    "inspection-photo": (ShopInspection, "photo", "shops"),
    "visit-photo": (Visit, "photo", "visits"),
}


@login_required
def stored_file(request: HttpRequest, kind: str, pk: int) -> FileResponse:
    """A file of a row the caller may see (they are personal or private: never under a public URL)."""
    if kind not in FILES:
        raise Http404
    model, field, scope = FILES[kind]
    user = _user(request)
    if model is ShopInspection:
        row = model.objects.filter(pk=pk, shop__in=selectors.shops(user)).first()
    else:
        row = getattr(selectors, scope)(user).filter(pk=pk).first()
    stored = getattr(row, field, None) if row is not None else None
    if not stored:
        raise Http404
    response = FileResponse(stored.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
