"""Writes: a resident's report (a new case, or one more reporter of an open case), a rating, call-backs.

Cases are created and moved only through cases.services; a report's input errors are
cases.workflow.BadInput (a 400 with the field's message), like the case API's.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.models import Case
from cases.photos import PhotoUpload
from cases.workflow import BadInput, IllegalTransition, NonStaff
from grids.selectors import PlaceFinder

from .models import CallbackTask, Open311Client, PublicCategory, Rating, ReportPhoto, ResidentReport
from .photos import BadPhoto, CleanPhoto, clean_photos
from .selectors import NEARBY_RADIUS_M, followed_case, nearby_open_cases, public_category

# Crockford's base32: no I, L, O or U to misread; 10 characters are 50 random bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
PHONE = re.compile(r"^1[3-9]\d{9}$")  # a mainland mobile number
MAX_DESCRIPTION = 2000


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_phone(raw: str) -> str:
    """The phone as 11 digits (spaces, dashes and +86 dropped), or '' for none; BadInput otherwise."""
    digits = re.sub(r"[\s-]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if digits and not PHONE.match(digits):
        message = _("Give an 11-digit mobile number, or leave it empty.")
        raise BadInput(message, phone=message)
    return digits


@dataclass(frozen=True)
class ReportInput:
    category: str
    description: str
    lat: float
    lng: float
    phone: str = ""
    photos: tuple[tuple[bytes, str], ...] = ()  # (content, file name)
    same_as: int | None = None
    channel: str = ResidentReport.Channel.WEB
    address: str = ""


def _checked_photos(uploads: tuple[tuple[bytes, str], ...]) -> list[CleanPhoto]:
    try:
        return clean_photos(list(uploads))
    except BadPhoto as error:
        raise BadInput(str(error), photos=str(error)) from None


def _joined_case(entry: PublicCategory, values: ReportInput) -> Case:
    """The open case `same_as` names: of the same category and within the suggestion radius."""
    ids = {case.pk for case, _distance in nearby_open_cases(entry.category, values.lat, values.lng)}
    if values.same_as not in ids:
        message = _(
            "Case %(id)s is not an open case of this category within %(radius)s m; report it as new."
        ) % {"id": values.same_as, "radius": NEARBY_RADIUS_M}
        raise BadInput(message, same_as=message)
    return Case.objects.get(pk=values.same_as)


def submit_report(values: ReportInput) -> ResidentReport:
    """A resident's report: a new resident case, or one more reporter of the open case `same_as`."""
    entry = public_category(values.category)
    if entry is None:
        message = _("Choose one of the categories on the report page.")
        raise BadInput(message, category=message)
    description = values.description.strip()
    if not description:
        message = _("Describe the problem in a few words.")
        raise BadInput(message, description=message)
    if len(description) > MAX_DESCRIPTION:
        message = _("The description is longer than %(n)s characters.") % {"n": MAX_DESCRIPTION}
        raise BadInput(message, description=message)
    phone = normal_phone(values.phone)
    if not PlaceFinder().within_territory(values.lat, values.lng):
        message = _("This place lies outside the area this center serves; move the pin onto the street.")
        raise BadInput(message, lat=message, lng=message)
    photos = _checked_photos(values.photos)
    with transaction.atomic():
        if values.same_as is not None:
            case = _joined_case(entry, values)
        else:
            case = case_services.create_case(
                source=Case.Source.RESIDENT,
                category_code=entry.category.code,
                lat=values.lat,
                lng=values.lng,
                description=description,
                address=values.address,
                role=NonStaff.RESIDENT,
                photos=[
                    PhotoUpload(content=p.content, name=p.name, lat=values.lat, lng=values.lng)
                    for p in photos
                ],
            )
        report = _insert_report(case, entry, values, description, phone)
        if values.same_as is not None:
            for photo in photos:
                _save_report_photo(report, photo)
    return report


def _insert_report(
    case: Case, entry: PublicCategory, values: ReportInput, description: str, phone: str
) -> ResidentReport:
    for _attempt in range(5):  # 50 random bits: a collision is all but impossible; retry anyway
        try:
            with transaction.atomic():
                return ResidentReport.objects.create(
                    tracking_code=new_tracking_code(),
                    case=case,
                    joined=values.same_as is not None,
                    category=entry.category,
                    description=description,
                    lat=values.lat,
                    lng=values.lng,
                    phone=phone,
                    channel=values.channel,
                )
        except IntegrityError:
            continue
    raise RuntimeError("no free tracking code after 5 attempts")


def _save_report_photo(report: ResidentReport, photo: CleanPhoto) -> None:
    row = ReportPhoto(report=report, content_type=photo.content_type, size=len(photo.content))
    row.file.save("photo", ContentFile(photo.content), save=False)
    row.save()


def rate_report(*, report: ResidentReport, stars: Any, comment: str = "") -> Rating:
    """The resident's stars for their closed case; 2 or less reopens it (cases.services.rate_case) and
    asks the community to call the resident back."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        message = _("Give 1 to 5 stars.")
        raise BadInput(message, stars=message)
    comment = (comment or "").strip()[:500]
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=followed_case(report.case).pk)
        if case.status != Case.Status.CLOSED:
            raise IllegalTransition(_("The case can be rated once it is closed."))
        if Rating.objects.filter(report=report, closing=case.reopen_count).exists():
            raise IllegalTransition(_("You have rated this case already."))
        rated = case_services.rate_case(case_id=case.pk, stars=stars, comment=comment)
        rating = Rating.objects.create(
            report=report,
            case=case,
            closing=case.reopen_count,
            stars=stars,
            comment=comment,
            reopened=rated.status != Case.Status.CLOSED,
        )
        if rating.reopened:
            CallbackTask.objects.create(rating=rating, case=case, community_id=case.community_id)
    return rating


def finish_callback(*, task: CallbackTask, note: str = "") -> CallbackTask:
    task.status = CallbackTask.Status.DONE
    task.note = note
    task.done_at = timezone.now()
    task.save(update_fields=["status", "note", "done_at"])
    return task


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def register_open311_client(*, name: str) -> tuple[Open311Client, str]:
    """A new Open311 application and its api_key (shown once: only its digest is kept)."""
    key = secrets.token_urlsafe(24)
    return Open311Client.objects.create(name=name, key_digest=key_digest(key)), key
