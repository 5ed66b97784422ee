"""Helpers of the phones' browser tests: a 390×844 touch phone in headless Chromium with its position
mocked, logged in to a live server; screenshots to screenshots/mobile/ (gitignored)."""

import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PIL import Image

from tests.conftest import ROOT
from tests.factories import PASSWORD

SHOTS = ROOT / "screenshots" / "mobile"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]


def camera_jpeg(width: int = 3000, height: int = 2000) -> bytes:
    """A photo as a phone's camera takes it: large, detailed (noise), a few MB."""
    rnd = random.Random(3)
    image = Image.new("RGB", (width // 8, height // 8))
    image.putdata([(200 + rnd.randint(-40, 40), 210 + rnd.randint(-40, 40), 190 + rnd.randint(-40, 40))
                   for _ in range(image.width * image.height)])  # fmt: skip
    image = image.resize((width, height), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


@contextmanager
def phone(
    live_url: str, *, username: str, lat: float, lng: float, clock_at: float | None = None
) -> Iterator[Any]:
    """A logged-in page on a phone at (lat, lng); collects page errors in page.errors. `clock_at`: the
    page's clock is Playwright's, starting at that time (seconds since the epoch) and running."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale="zh-CN", timezone_id="Asia/Shanghai", geolocation={"latitude": lat, "longitude": lng,
            "accuracy": 8}, permissions=["geolocation"], service_workers="block",
        )  # fmt: skip
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        if clock_at is not None:
            page.clock.install(time=clock_at)
            page.clock.resume()  # time flows; run_for() jumps ahead, firing the timers due on the way
        page.goto(f"{live_url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/m/")
        page.errors = errors  # type: ignore[attr-defined]
        try:
            yield page
        finally:
            browser.close()


def shot(page: Any, name: str) -> str:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return str(path)
