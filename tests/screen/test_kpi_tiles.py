"""The wall screen's KPI tiles in Chromium: "–" when there is nothing to measure (no closed case, no
rating, nothing handled), the figure once there is."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import PASSWORD
from tests.screen.conftest import make_case
from tests.screen.district import CHROMIUM_ARGS, Daphne, in_thread, logged_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.timeout(300),
    pytest.mark.django_db(transaction=True),
]
RATES = ("avg_handling", "on_time_rate", "satisfaction")


def tiles(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page.wait_for_function("n => DCC.stats.snapshots >= n", arg=1, timeout=30_000)
    return {name: page.inner_text(f"#kpi-{name}").replace("\n", "") for name in RATES}


def test_rate_tiles_show_a_dash_until_there_is_something_to_measure(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.skip("daphne's socket needs the Redis channel layer")
    from playwright.sync_api import sync_playwright

    grid = world.street_grids[0]
    make_case(grid, status="dispatched")  # open, not overdue: nothing due yet
    with Daphne(tmp_path) as daphne, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = logged_in_page(browser, daphne.url, "dispatcher", "/screen/", PASSWORD)
        assert tiles(page) == {"avg_handling": "–", "on_time_rate": "–", "satisfaction": "–"}

        now = timezone.now()

        def close_one() -> None:
            make_case(grid, status="closed", dispatched_at=now - timedelta(hours=2),
                      handled_at=now - timedelta(minutes=90), closed_at=now, satisfaction=5)  # fmt: skip

        in_thread(close_one)
        page.reload()
        assert tiles(page) == {"avg_handling": "30分钟", "on_time_rate": "100.0%", "satisfaction": "100.0%"}
        browser.close()
