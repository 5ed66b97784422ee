"""The dispatcher console: login, scoping of photos, and the page itself in headless Chromium."""

import pytest
from django.utils import timezone

from cases.models import Case, CasePhoto
from cases.photos import PhotoUpload
from cases.services import create_case, open_case_from_alarm
from tests.cases.conftest import JPEG
from tests.factories import PASSWORD


def test_the_console_needs_a_login(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/console/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_console_page_carries_its_options(client, catalogue, place) -> None:  # type: ignore[no-untyped-def]
    client.force_login(place.dispatcher)
    response = client.get("/console/")
    assert response.status_code == 200
    options = response.context["options"]
    assert "dispatch" in options["actions"]
    assert "escalate" not in options["actions"]
    assert {"prop-a", "water", "fire"} <= {d["code"] for d in options["departments"]}
    assert "gw" in {p["username"] for p in options["people"]}
    assert b'id="console-options"' in response.content
    assert options["statusGroups"]["working"] == ("dispatched", "in_progress", "suspended")
    assert options["stageStatuses"]["handle"] == ["dispatched", "in_progress"]


def test_photos_are_served_only_within_scope(client, catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case = create_case(source="patrol", category_code="exposed-garbage", lat=place.compound.centre_lat,
                       lng=place.compound.centre_lng, photos=[PhotoUpload(JPEG)])  # fmt: skip
    photo = CasePhoto.objects.get(case=case)
    client.force_login(place.grid_worker)  # a worker of the case's grid
    response = client.get(f"/console/photos/{photo.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["Content-Type"] == "image/jpeg"
    client.force_login(place.water_handler)  # another department: not in scope
    assert client.get(f"/console/photos/{photo.pk}/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_file_and_dispatch_with_the_keyboard(live_server, catalogue, place, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are plain sync code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    report = create_case(source="hotline", category_code="exposed-garbage", title="垃圾桶满溢",
                         lat=place.compound.centre_lat, lng=place.compound.centre_lng)  # fmt: skip
    emergency = open_case_from_alarm(
        source_key="cluster:smoke:compound:1", category_code="fire-emergency", severity="critical",
        title="多点烟感火情", description="", lat=place.compound.centre_lat, lng=place.compound.centre_lng,
        grid_id=place.grid.pk, compound_id=place.compound.pk, occurred_at=timezone.now(), emergency=True,
    )  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # The emergency's detail (asked for on load, and again when the socket opens) is held back until
        # the report is shown: a late answer for an earlier selection must not replace the report.
        held: list = []
        emergency_detail = f"**/api/v1/cases/{emergency}/"
        page.route(emergency_detail, lambda route: held.append(route))
        page.goto(f"{live_server.url}/accounts/login/?next=/console/")
        page.fill("#id_username", place.dispatcher.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/console/")
        # The queue: the emergency first, with a countdown.
        page.wait_for_selector("#queue li[data-id]")
        ids = page.eval_on_selector_all(
            "#queue li[data-id]", "items => items.map(li => Number(li.dataset.id))"
        )
        assert ids == [emergency, report.pk]
        assert page.inner_text(f'#queue li[data-id="{emergency}"] .countdown').strip()
        # j moves to the report; f files it; d opens the dispatch dialog, Enter dispatches by the rules.
        page.keyboard.press("j")
        page.wait_for_selector(f'.detail-head:has-text("#{report.pk}")')
        assert held
        for route in held:
            with page.expect_response(lambda response: response.url.endswith(f"/api/v1/cases/{emergency}/")):
                route.continue_()
        page.unroute(emergency_detail)
        page.wait_for_timeout(500)
        assert f"#{report.pk}" in page.inner_text(".detail-head")
        page.keyboard.press("f")
        page.wait_for_selector('button[data-action="dispatch"]')
        assert Case.objects.get(pk=report.pk).status == "filed"
        page.keyboard.press("d")
        page.wait_for_selector("#action-dialog[open]")
        page.keyboard.press("Enter")
        page.wait_for_selector("#action-dialog", state="hidden")
        page.wait_for_function(
            "() => document.querySelector('.detail-head .badge.status-dispatched') !== null", timeout=10_000
        )
        case = Case.objects.get(pk=report.pk)
        assert (case.status, case.department) == ("dispatched", place.urban)
        # An illegal action answers with a readable message, shown to the dispatcher.
        page.keyboard.press("c")  # close is not offered for a dispatched case: nothing happens
        assert not page.is_visible("#action-dialog[open]")
        page.screenshot(path=str(tmp_path / "console.png"))
        browser.close()
    assert not errors, errors
