"""Fixtures of the residents tests: the street of the cases tests, its catalogue and the resident
categories, photos made by Pillow, and a case driven from a report to its closing."""

import io
from collections.abc import Callable

import pytest
from django.utils import translation
from PIL import Image

from cases.defaults import ensure_default_catalogue
from cases.models import Case
from cases.photos import PhotoUpload
from cases.workflow import apply_transition
from residents.catalogue import ensure_public_categories
from tests.cases.conftest import Place, make_place


@pytest.fixture(autouse=True)
def _english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def street(db) -> Place:  # type: ignore[no-untyped-def]
    ensure_default_catalogue()
    ensure_public_categories()
    return make_place()


def jpeg_bytes(*, exif: dict[int, object] | None = None, gps: dict[int, object] | None = None) -> bytes:
    image = Image.new("RGB", (64, 48), (200, 80, 40))
    data = Image.Exif()
    for tag, value in (exif or {}).items():
        data[tag] = value
    if gps:
        data.get_ifd(0x8825).update(gps)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=data.tobytes())
    return out.getvalue()


@pytest.fixture
def photo() -> bytes:
    return jpeg_bytes()


def report_body(street: Place, **fields: object) -> dict[str, object]:
    compound = street.compound
    return {
        "category": "exposed-garbage",
        "description": "垃圾桶满了，垃圾堆在路边",
        "lat": compound.centre_lat,
        "lng": compound.centre_lng,
        **fields,
    }


@pytest.fixture
def close_case(street: Place) -> Callable[[int], None]:
    """Drive a case from wherever a report left it to closed: file, dispatch to the property company,
    its handler accepts and handles with a photo after, a grid worker verifies, the dispatcher closes."""

    def close(case_id: int) -> None:
        status = Case.objects.get(pk=case_id).status
        steps = [
            ("file", street.dispatcher, {}, ()),
            ("dispatch", street.dispatcher, {"params": {"department": "prop-a"}}, ()),
            ("accept", street.property_handler, {}, ()),
            ("handle", street.property_handler, {"note": "已清运"}, (PhotoUpload(content=jpeg_bytes()),)),
            ("verify", street.grid_worker, {"params": {"passed": True}}, ()),
            ("close", street.dispatcher, {"params": {"evaluation": "good"}}, ()),
        ]
        order = ["discovered", "filed", "dispatched", "in_progress", "handled", "verified"]
        for action, actor, extra, photos in steps[order.index(status) :]:
            apply_transition(case_id=case_id, action=action, actor=actor, photos=photos, **extra)  # type: ignore[arg-type]

    return close
