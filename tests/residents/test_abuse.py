"""Abuse: atomic rate limits per client address and per phone (50 parallel posts against a limit of 10
accept 10), a made-up X-Forwarded-For does not escape them; photos checked by content, EXIF kept only for
the time and the position, 10 MB at most; a resident's phone only for dispatchers and handlers."""

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from accounts.ratelimit import hit
from cases.models import CasePhoto
from residents.models import ResidentReport
from tests.residents.conftest import jpeg_bytes, report_body

URL = "/api/v1/resident-reports/"


def test_the_counter_is_atomic_under_50_threads(db) -> None:  # type: ignore[no-untyped-def]
    start = threading.Barrier(50)

    def one(_n: int) -> int | None:
        start.wait()
        return hit("parallel-test", 10, 3600)

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(one, range(50)))
    assert answers.count(None) == 10
    assert all(0 < wait <= 3600 for wait in answers if wait is not None)


@pytest.mark.django_db(transaction=True)
def test_50_parallel_reports_against_a_limit_of_10_accept_10(street, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RESIDENT_LIMITS = {"report_per_address": (10, 3600)}
    body = report_body(street)
    start = threading.Barrier(50)

    def post(n: int) -> tuple[int, str | None]:
        client = Client()
        start.wait()
        try:
            # Each claims another address: without a trusted proxy the header counts for nothing.
            answer = client.post(URL, body, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
            return answer.status_code, answer.headers.get("Retry-After")
        finally:
            connection.close()

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(post, range(50)))
    statuses = [status for status, _wait in answers]
    assert statuses.count(201) == 10, statuses
    assert statuses.count(429) == 40, statuses
    assert all(int(wait) > 0 for status, wait in answers if status == 429)  # type: ignore[arg-type]
    assert ResidentReport.objects.count() == 10


def test_behind_a_trusted_proxy_each_client_counts_alone(street, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RESIDENT_LIMITS = {"report_per_address": (2, 3600)}
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    client = APIClient()
    body = report_body(street)
    # The client's own part of the header is theirs to invent: the proxy's last entry counts.
    for n in range(2):
        spoofed = f"9.9.9.{n}, 203.0.113.7"
        assert client.post(URL, body, HTTP_X_FORWARDED_FOR=spoofed).status_code == 201
    refused = client.post(URL, body, HTTP_X_FORWARDED_FOR="9.9.9.99, 203.0.113.7")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert client.post(URL, body, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 201


def test_a_phone_is_limited_whatever_the_address(street, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RESIDENT_LIMITS = {"report_per_phone": (2, 3600)}
    body = report_body(street, phone="13912345678")
    for n in range(2):
        assert APIClient(REMOTE_ADDR=f"198.51.100.{n}").post(URL, body).status_code == 201
    refused = APIClient(REMOTE_ADDR="198.51.100.9").post(URL, body, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 429
    assert "频繁" in refused.json()["detail"]
    other = report_body(street, phone="13912345679")
    assert APIClient(REMOTE_ADDR="198.51.100.9").post(URL, other).status_code == 201


def _exif_of(content: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(content)) as image:
        return image.getexif()


def test_photos_keep_only_the_time_and_the_position(street) -> None:  # type: ignore[no-untyped-def]
    content = jpeg_bytes(
        exif={ExifTags.Base.Make: "Phone Co", ExifTags.Base.Model: "X1", ExifTags.Base.Artist: "Zhang San",
              ExifTags.Base.DateTime: "2026:12:07 09:30:00"},
        gps={ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (31.0, 16.0, 12.0)},
    )  # fmt: skip
    assert _exif_of(content)[ExifTags.Base.Artist] == "Zhang San"
    photo = SimpleUploadedFile("p.jpg", content, content_type="image/jpeg")
    answer = APIClient().post(URL, report_body(street, photos=[photo]))
    assert answer.status_code == 201, answer.content
    case = ResidentReport.objects.get(tracking_code=answer.json()["tracking_code"]).case
    stored = CasePhoto.objects.get(case=case)
    kept = _exif_of(stored.file.read())
    assert ExifTags.Base.Make not in kept
    assert ExifTags.Base.Artist not in kept
    assert kept[ExifTags.Base.DateTime] == "2026:12:07 09:30:00"
    assert kept.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"


def test_photos_are_checked_by_content_and_size(street) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    png = io.BytesIO()
    Image.new("RGB", (8, 8)).save(png, format="PNG")
    named_wrong = SimpleUploadedFile("p.jpg", png.getvalue(), content_type="image/jpeg")
    answer = client.post(URL, report_body(street, photos=[named_wrong]))
    assert answer.status_code == 201
    case = ResidentReport.objects.get(tracking_code=answer.json()["tracking_code"]).case
    assert CasePhoto.objects.get(case=case).content_type == "image/png"
    script = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff<script>alert(1)</script>", content_type="image/jpeg")
    assert client.post(URL, report_body(street, photos=[script])).status_code == 400
    huge = SimpleUploadedFile("big.jpg", jpeg_bytes() + b"\0" * (10 * 1024 * 1024), content_type="image/jpeg")
    refused = client.post(URL, report_body(street, photos=[huge]))
    assert refused.status_code == 400
    assert "10 MB" in refused.json()["detail"]
    four = [SimpleUploadedFile(f"{n}.jpg", jpeg_bytes(), content_type="image/jpeg") for n in range(4)]
    assert client.post(URL, report_body(street, photos=four)).status_code == 400


@pytest.mark.parametrize(
    ("role", "shown"),
    [("dispatcher", "13912345678"), ("property_handler", "13912345678"), ("grid_worker", "139****5678"),
     ("leader", "139****5678"), ("admin", "139****5678")],
)  # fmt: skip
def test_a_residents_phone_is_shown_to_the_dispatcher_and_the_handler_only(street, role, shown) -> None:  # type: ignore[no-untyped-def]
    answer = APIClient().post(URL, report_body(street, phone="13912345678"))
    case = ResidentReport.objects.get(tracking_code=answer.json()["tracking_code"]).case
    case.department = street.property_company  # dispatched to the handler's company
    case.save(update_fields=["department"])
    client = APIClient()
    client.force_authenticate(getattr(street, role))
    rows = client.get(f"/api/v1/cases/{case.pk}/resident-reports/")
    assert rows.status_code == 200, rows.content
    assert [row["phone"] for row in rows.json()] == [shown]
    assert "tracking_code" not in rows.json()[0]
    assert APIClient().get(f"/api/v1/cases/{case.pk}/resident-reports/").status_code == 401
