"""Photos attached to case events: checked by their bytes (JPEG, PNG, WebP), size-limited, stored as files."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

from .errors import BadInput
from .models import Case, CaseEvent, CasePhoto

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 9


@dataclass
class PhotoUpload:
    content: bytes
    name: str = "photo"
    kind: str = ""  # empty: the action decides (after for handle, verify for verify, ...)
    lat: float | None = None
    lng: float | None = None
    taken_at: datetime | None = None
    content_type: str = ""


def sniff_image(content: bytes) -> str | None:
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photos(photos: Sequence[PhotoUpload]) -> list[PhotoUpload]:
    """Validate uploads before anything is written; raises BadInput with a clear message."""
    if len(photos) > MAX_PHOTOS:
        message = _("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS}
        raise BadInput(message, photos=message)
    for photo in photos:
        if len(photo.content) > MAX_PHOTO_BYTES:
            message = _("%(name)s is larger than 10 MB.") % {"name": photo.name}
            raise BadInput(message, photos=message)
        content_type = sniff_image(photo.content)
        if content_type is None:
            message = _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": photo.name}
            raise BadInput(message, photos=message)
        photo.content_type = content_type
        for value, low, high in ((photo.lat, -90, 90), (photo.lng, -180, 180)):
            if value is not None and not low <= value <= high:
                raise BadInput(_("The photo's position is out of range."))
    return list(photos)


def save_photos(
    *, case: Case, event: CaseEvent | None, photos: Sequence[PhotoUpload], uploaded_by: Any
) -> None:
    for photo in check_photos(photos):
        row = CasePhoto(
            case=case,
            event=event,
            kind=photo.kind or CasePhoto.Kind.REPORT,
            content_type=photo.content_type,
            size=len(photo.content),
            lat=photo.lat,
            lng=photo.lng,
            taken_at=photo.taken_at,
            uploaded_by=uploaded_by,
        )
        row.file.save("photo", ContentFile(photo.content), save=False)
        row.save()
