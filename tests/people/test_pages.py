"""The people pages: overview, a building with its flats, a shop, the care card with the visit form, the
ledgers page (preview, confirm, export logged), files served in scope only."""

from datetime import timedelta

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import PersonalDataAccess, User
from people import ledgers
from people.models import Person, Visit
from tests.factories import PASSWORD, UserFactory
from tests.people.factories import (
    CarePersonFactory,
    FlatFactory,
    RentalFactory,
    ShopFactory,
    ShopStaffFactory,
)

pytestmark = pytest.mark.django_db
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
    b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


def signed_in(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=PASSWORD)
    return client


def worker_of(grid) -> User:  # type: ignore[no-untyped-def]
    worker = UserFactory(role=User.Role.GRID_WORKER)
    grid.workers.add(worker)
    return worker


def test_a_building_shows_rented_flats_blue_and_leases_ending_with_a_triangle() -> None:
    ending = RentalFactory(lease_end=timezone.localdate() + timedelta(days=9), flat__room_number="502")
    building = ending.flat.unit.building
    FlatFactory(unit=ending.flat.unit, room_number="501")
    client = signed_in(worker_of(building.compound.grid))
    page = client.get(f"/people/buildings/{building.pk}/").content.decode()
    assert 'class="flat rented ending"' in page
    assert 'class="flat"' in page
    overview = client.get("/people/").content.decode()
    assert "502" in overview
    other = RentalFactory().flat.unit.building
    assert client.get(f"/people/buildings/{other.pk}/").status_code == 404


def test_a_shop_page_is_masked_until_a_reason_is_given_and_logged() -> None:
    staff = ShopStaffFactory(health_certificate_expiry=timezone.localdate() + timedelta(days=3))
    shop = staff.shop
    client = signed_in(worker_of(shop.grid))
    page = client.get(f"/people/shops/{shop.pk}/").content.decode()
    assert "陈*强" in page
    assert "13700001111" not in page
    assert 'class="warn"' in page  # the expiring health certificate
    page = client.get(f"/people/shops/{shop.pk}/", {"reason": "核实营业执照"}).content.decode()
    assert 'href="tel:13700001111"' in page
    assert PersonalDataAccess.objects.filter(object_type="people.shop", reason="核实营业执照").count() == 2
    handler = signed_in(UserFactory(role=User.Role.HANDLER))
    assert handler.get(f"/people/shops/{shop.pk}/").status_code == 404


def test_the_care_card_records_a_visit_from_the_phone() -> None:
    care_person = CarePersonFactory()
    building = care_person.person.household.flat.unit.building  # type: ignore[union-attr]
    client = signed_in(worker_of(building.compound.grid))
    page = client.get(f"/people/care/{care_person.pk}/").content.decode()
    assert "孙*兰" in page
    assert "行动不便" in page
    photo = SimpleUploadedFile("visit.png", PNG, content_type="image/png")
    response = client.post(
        f"/people/care/{care_person.pk}/",
        {"note": "血压正常", "lat": building.lat, "lng": building.lng, "accuracy": 12, "photo": photo},
    )
    assert response.status_code == 302, response.content
    visit = Visit.objects.get()
    assert (visit.note, visit.place_checked) == ("血压正常", True)
    assert client.get(f"/people/files/visit-photo/{visit.pk}/").status_code == 200
    dispatcher = signed_in(UserFactory(role=User.Role.DISPATCHER))
    assert dispatcher.post(f"/people/care/{care_person.pk}/", {"note": "x"}).status_code == 403


def test_a_ledger_is_previewed_confirmed_and_exported_with_the_access_log() -> None:
    flat = FlatFactory()
    building = flat.unit.building
    worker = worker_of(building.compound.grid)
    client = signed_in(worker)
    row = [
        building.compound.code,
        building.name,
        "1单元",
        "101",
        "H1",
        "是",
        "王建国",
        "户主",
        "13800001111",
        "",
    ]
    content = tablib.Dataset(row, headers=ledgers.LEDGERS["households"].headers).export("xlsx")
    upload = SimpleUploadedFile("households.xlsx", content)
    preview = client.post("/people/ledgers/", {"action": "preview", "ledger": "households", "file": upload})
    assert preview.status_code == 200
    assert Person.objects.count() == 0
    token = preview.context["token"]
    confirmed = client.post("/people/ledgers/", {"action": "confirm", "token": token})
    assert confirmed.status_code == 302
    assert Person.objects.get().name == "王建国"
    again = client.post("/people/ledgers/", {"action": "confirm", "token": token}, follow=True)
    assert "expired" in again.content.decode()
    exported = client.post(
        "/people/ledgers/",
        {"action": "export", "ledger": "households", "file_format": "csv", "reason": "季度核对"},
    )
    assert exported.status_code == 200
    text = exported.content.decode("utf-8-sig")
    assert "王建国" in text
    assert worker.username in text.splitlines()[1]
    log = PersonalDataAccess.objects.get(field="export")
    assert (log.user, log.object_type, log.reason) == (worker, "ledger:households", "季度核对")
    official = signed_in(UserFactory(role=User.Role.OFFICIAL))
    refused = official.post(
        "/people/ledgers/",
        {"action": "export", "ledger": "households", "file_format": "csv", "reason": "看看"},
    )
    assert refused.status_code == 403


def test_a_ledger_with_a_bad_row_shows_the_row_and_imports_nothing() -> None:
    building = FlatFactory().unit.building
    client = signed_in(worker_of(building.compound.grid))
    row = [building.compound.code, building.name, "1单元", "101", "H1", "是", "王建国", "户主", "", "12345"]
    content = tablib.Dataset(row, headers=ledgers.LEDGERS["households"].headers).export("xlsx")
    upload = SimpleUploadedFile("households.xlsx", content)
    page = client.post("/people/ledgers/", {"action": "preview", "ledger": "households", "file": upload})
    assert page.context["result"].errors == [(2, "身份证号 is not a valid ID number (15 or 18 characters).")]
    assert page.context["token"] == ""
    assert Person.objects.count() == 0


def test_files_are_served_only_in_scope() -> None:
    shop = ShopFactory(door_photo=SimpleUploadedFile("door.png", PNG))
    assert signed_in(worker_of(shop.grid)).get(f"/people/files/door-photo/{shop.pk}/").status_code == 200
    assert (
        signed_in(UserFactory(role=User.Role.GRID_WORKER))
        .get(f"/people/files/door-photo/{shop.pk}/")
        .status_code
        == 404
    )
    assert signed_in(worker_of(shop.grid)).get(f"/people/files/nothing/{shop.pk}/").status_code == 404
