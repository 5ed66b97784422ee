"""/m/ in a 390×844 touch phone (Chromium, position mocked) as a grid worker: the task list, accept with a
check-in and a stamped photo before, handled with a stamped photo after; the photos are ≤ 500 KB with
their position and time stored as fields. Screenshots in screenshots/mobile/."""

import io

import pytest
from PIL import Image, ImageStat

from cases import workflow
from cases.models import Case, CasePhoto
from cases.services import create_case
from tests.cases.conftest import Place
from tests.mobile.browser import camera_jpeg, phone, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# About 60 m north-east of the compound's centre: near enough to check in.
NEAR = (0.0004, 0.0004)


def dispatched_case(place: Place, category: str = "manhole-cover") -> Case:
    compound = place.compound
    case = create_case(source="hotline", category_code=category, title="井盖缺失", address="广中路 100 号",
                       lat=compound.centre_lat, lng=compound.centre_lng, auto=False)  # fmt: skip
    workflow.apply_transition(case_id=case.pk, action="file", actor=place.dispatcher)
    workflow.apply_transition(
        case_id=case.pk,
        action="dispatch",
        actor=place.dispatcher,
        params={"assignee": place.grid_worker.username},
    )
    return Case.objects.get(pk=case.pk)


def add_photo(page, tmp_path, name: str) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / f"{name}.jpg"
    photo.write_bytes(camera_jpeg())
    before = page.locator(".m-sheet .m-thumbs figure").count()
    page.set_input_files(".m-sheet input[data-photos]", str(photo))
    page.wait_for_function(
        "(n) => document.querySelectorAll('.m-sheet .m-thumbs figure').length > n", arg=before, timeout=20_000
    )


def test_accept_check_in_stamped_photos_handled(live_server, catalogue, place, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    case = dispatched_case(place)
    lat, lng = place.compound.centre_lat + NEAR[0], place.compound.centre_lng + NEAR[1]
    with phone(live_server.url, username=place.grid_worker.username, lat=lat, lng=lng) as page:
        card = page.locator(f'a[data-case="{case.pk}"]')
        card.wait_for()
        assert "新" in card.inner_text() or "new" in card.inner_text()
        assert page.locator(f'a[data-case="{case.pk}"] .m-countdown').inner_text().strip()
        shot(page, "01-tasks")
        card.tap()
        page.wait_for_selector('button[data-action="accept"]')
        page.wait_for_selector("a[href^='https://uri.amap.com/marker?position=']")
        shot(page, "02-task")

        page.tap('button[data-action="accept"]')
        page.tap(".m-sheet button[data-checkin-button]")
        page.wait_for_selector(".m-checkin-result.is-near")
        assert "米" in page.inner_text(".m-checkin-result") or "m" in page.inner_text(".m-checkin-result")
        shot(page, "03-check-in")
        add_photo(page, tmp_path, "before")
        shot(page, "04-photo-before")
        page.tap(".m-sheet button[data-confirm]")
        page.wait_for_selector('button[data-action="handle"]', timeout=20_000)
        shot(page, "05-accepted")

        page.tap('button[data-action="handle"]')
        add_photo(page, tmp_path, "after")
        page.fill(".m-sheet textarea[name=note]", "已补装井盖")
        shot(page, "06-photo-after")
        page.tap(".m-sheet button[data-confirm]")
        page.wait_for_selector(".m-status-handled", timeout=20_000)
        shot(page, "07-handled")
        assert not page.errors, page.errors  # type: ignore[attr-defined]

    case.refresh_from_db()
    assert case.status == "handled"
    photos = {photo.kind: photo for photo in CasePhoto.objects.filter(case=case)}
    assert set(photos) == {"before", "after"}
    for photo in photos.values():
        assert photo.size <= 500 * 1024
        assert photo.lat == pytest.approx(lat, abs=1e-5)
        assert photo.lng == pytest.approx(lng, abs=1e-5)
        assert photo.taken_at is not None
        image = Image.open(io.BytesIO(photo.file.read()))
        assert max(image.size) <= 1600
        # The stamp: a dark band along the bottom of a light photo.
        band = ImageStat.Stat(
            image.crop((0, image.height - 40, image.width // 2, image.height)).convert("L")
        ).mean[0]
        top = ImageStat.Stat(image.crop((0, 0, image.width // 2, 40)).convert("L")).mean[0]
        assert band < top - 40, (band, top)
    accept = case.events.get(action="accept")
    assert "签到" in accept.note or "Checked in" in accept.note
