"""Residents' photos: the type read from the content (Pillow), at most 10 MB, turned upright, and every
EXIF tag dropped except the time taken and the GPS position (a phone writes its model, serial numbers and
the owner's name there)."""

import io
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 3
# A photo this large decompressed is a trap, not a photo (a phone's 200 MP sensor stays well under).
MAX_PIXELS = 60_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
KEPT_EXIF_TAGS = (ExifTags.Base.DateTimeOriginal, ExifTags.Base.OffsetTimeOriginal)


class BadPhoto(ValueError):
    """A message for the resident, in their language."""


@dataclass
class CleanPhoto:
    content: bytes
    content_type: str
    name: str


def _kept_exif(image: Image.Image) -> Image.Exif:
    original = image.getexif()
    kept = Image.Exif()
    if ExifTags.Base.DateTime in original:
        kept[ExifTags.Base.DateTime] = original[ExifTags.Base.DateTime]
    details = original.get_ifd(ExifTags.IFD.Exif)
    taken: dict[int, Any] = {int(tag): details[tag] for tag in KEPT_EXIF_TAGS if tag in details}
    if taken:
        kept.get_ifd(ExifTags.IFD.Exif).update(taken)
    gps = original.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        kept.get_ifd(ExifTags.IFD.GPSInfo).update(gps)
    return kept


def clean_photo(content: bytes, name: str = "photo") -> CleanPhoto:
    """The photo re-encoded in its own format without the EXIF tags a resident did not mean to send."""
    if len(content) > MAX_PHOTO_BYTES:
        raise BadPhoto(_("%(name)s is larger than 10 MB.") % {"name": name})
    try:
        with Image.open(io.BytesIO(content)) as probe:
            kind = probe.format or ""
            width, height = probe.size
            if kind not in FORMATS:
                raise BadPhoto(_("%(name)s is not a JPEG, PNG or WebP image.") % {"name": name})
            if width * height > MAX_PIXELS:
                raise BadPhoto(_("%(name)s has too many pixels.") % {"name": name})
            exif = _kept_exif(probe)
            upright = ImageOps.exif_transpose(probe)
            upright.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise BadPhoto(_("%(name)s is not a JPEG, PNG or WebP image.") % {"name": name}) from None
    if kind == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 88} if kind in ("JPEG", "WEBP") else {}
    upright.save(out, format=kind, exif=exif.tobytes(), **options)
    return CleanPhoto(out.getvalue(), FORMATS[kind], name)


def clean_photos(uploads: list[tuple[bytes, str]]) -> list[CleanPhoto]:
    if len(uploads) > MAX_PHOTOS:
        raise BadPhoto(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    return [clean_photo(content, name) for content, name in uploads]
