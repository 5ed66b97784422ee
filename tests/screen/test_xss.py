"""Stored XSS: user strings (a case's title, description and address, a grid's and a compound's name)
that look like HTML reach the console, the wall screen and the admin as text. Nothing they carry runs,
no element they describe is created, and the Content-Security-Policy reports no violation: the page
itself escaped them (CSP is the second line, and a violation would mean the first one failed)."""

import pytest
from django.conf import settings

from accounts.models import User
from cases.models import Case
from tests.factories import PASSWORD, UserFactory
from tests.screen.conftest import make_case
from tests.screen.district import CHROMIUM_ARGS, Daphne, logged_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.timeout(300),
    pytest.mark.django_db(transaction=True),
]

IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = "<script>window.__xss=2</script>"


def nothing_ran(page, where: str) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("window.__xss") is None, where
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0, where
    assert (
        page.evaluate(  # json_script data (type application/json) may carry the string; it never runs
            "Array.from(document.scripts).filter(s => s.type !== 'application/json'"
            " && s.textContent.includes('__xss')).length"
        )
        == 0
    ), where
    assert page.evaluate("window.__violations") == [], where
    assert not page.errors, (where, page.errors)


def test_user_strings_run_nothing_on_the_console_the_screen_and_the_admin(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.skip("daphne's socket needs the Redis channel layer shared with this process")
    from playwright.sync_api import sync_playwright

    grid, compound = world.street_grids[0], world.compounds[0]
    grid.name = f"网格{IMG}"
    grid.save(update_fields=["name"])
    compound.name = f"小区{SCRIPT}"
    compound.save(update_fields=["name"])
    case = make_case(
        grid,
        status=Case.Status.FILED,
        title=f"标题{IMG}{SCRIPT}",
        description=f"描述{IMG}",
        address=f"地址{SCRIPT}",
        compound=compound,
    )
    UserFactory(username="root", role=User.Role.ADMIN, is_staff=True, is_superuser=True)

    with Daphne(tmp_path) as daphne, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)

        console = logged_in_page(browser, daphne.url, "dispatcher", f"/console/?case={case.pk}", PASSWORD)
        console.wait_for_selector(f'.detail-head:has-text("#{case.pk}")')
        console.wait_for_selector(".leaflet-tooltip")  # the case's title on its map
        console.wait_for_timeout(500)
        assert IMG in console.inner_text(".leaflet-tooltip")  # shown as text
        assert IMG in console.inner_text(f'#queue li[data-id="{case.pk}"]')
        assert IMG in console.inner_text(".description")
        nothing_ran(console, "console")

        screen = logged_in_page(browser, daphne.url, "dispatcher", "/screen/", PASSWORD)
        screen.wait_for_function("() => window.DCC && DCC.stats.snapshots > 0", timeout=30_000)
        screen.wait_for_timeout(1000)
        assert any(IMG in text for text in screen.locator(".grid-label").all_inner_texts())
        assert screen.evaluate("id => DCC.showOnMap('case', id)", case.pk)
        screen.wait_for_selector(".leaflet-popup-content", timeout=5000)
        assert IMG in screen.inner_text(".leaflet-popup-content")
        nothing_ran(screen, "screen")

        admin = logged_in_page(browser, daphne.url, "root", "/admin/", PASSWORD)
        for path in (
            "/admin/cases/case/",
            f"/admin/cases/case/{case.pk}/change/",
            "/admin/grids/grid/",
            f"/admin/grids/grid/{grid.pk}/change/",
            "/admin/grids/compound/",
            f"/admin/grids/compound/{compound.pk}/change/",
        ):
            admin.goto(daphne.url + path)
            admin.wait_for_load_state("load")
            assert admin.locator("#content").count() == 1, path
            nothing_ran(admin, path)

        # The sensor point form's map names the grids and compounds in tooltips.
        admin.goto(daphne.url + "/admin/devices/sensorpoint/add/")
        admin.wait_for_selector(".dcc-point-map path.leaflet-interactive")
        for n in range(admin.locator(".dcc-point-map path.leaflet-interactive").count()):
            admin.locator(".dcc-point-map path.leaflet-interactive").nth(n).hover(force=True)
        admin.wait_for_selector(".leaflet-tooltip")
        assert any(
            IMG in text or SCRIPT in text for text in admin.locator(".leaflet-tooltip").all_inner_texts()
        )
        nothing_ran(admin, "/admin/devices/sensorpoint/add/")

        # Swagger UI runs under the same policy (its start-up script is a file, no eval).
        admin.goto(daphne.url + "/api/docs/")
        admin.wait_for_selector(".swagger-ui .info", timeout=15_000)
        nothing_ran(admin, "/api/docs/")
        browser.close()
