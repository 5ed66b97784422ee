"""Inspect (核查) on /m/: another grid worker of the grid verifies a handled case from the phone, with a
stamped photo; the person who handled it is not offered the verification."""

import pytest

from cases import workflow
from cases.models import CasePhoto
from cases.photos import PhotoUpload
from tests.cases.conftest import Place
from tests.mobile.browser import camera_jpeg, phone, shot
from tests.mobile.test_phone_flow import add_photo, dispatched_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_another_worker_verifies_a_handled_case(
    live_server, catalogue, place: Place, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    case = dispatched_case(place, category="dirty-road")
    workflow.apply_transition(case_id=case.pk, action="accept", actor=place.grid_worker)
    workflow.apply_transition(case_id=case.pk, action="handle", actor=place.grid_worker, note="已清扫",
                              photos=[PhotoUpload(content=camera_jpeg(400, 300), name="after.jpg")])  # fmt: skip
    compound = place.compound
    with phone(live_server.url, username=place.grid_worker.username, lat=compound.centre_lat,
               lng=compound.centre_lng) as page:  # fmt: skip
        page.goto(f"{live_server.url}/m/#/case/{case.pk}")
        page.wait_for_selector(".m-status-handled")
        assert page.locator('button[data-action="verify"]').count() == 0  # not who handled it
    with phone(live_server.url, username=place.other_grid_worker.username, lat=compound.centre_lat,
               lng=compound.centre_lng) as page:  # fmt: skip
        page.tap('.m-filters button[data-filter="handled"]')
        page.tap(f'a[data-case="{case.pk}"]')
        page.tap('button[data-action="verify"]')
        add_photo(page, tmp_path, "verify")
        shot(page, "12-verify")
        page.tap(".m-sheet button[data-confirm]")
        page.wait_for_selector(".m-status-verified", timeout=20_000)
        shot(page, "13-verified")
        assert not page.errors, page.errors  # type: ignore[attr-defined]
    case.refresh_from_db()
    assert case.status == "verified"
    assert CasePhoto.objects.filter(case=case, kind="verify").count() == 1
