"""/m/ live: how long a new task, an escalation-free dispatch, takes to reach a grid worker's open phone.

    .venv/bin/python bench/mobile_live.py [--url http://127.0.0.1:8000] [--rounds 5] [--shots DIR]

Against a running platform with the demo street (`make run`, or runcenter): opens /m/ as the demo
`gridworker` in headless Chromium at 390×844, then as the demo `dispatcher` through the API reports a
case in the worker's grid and dispatches it to them; measures from the dispatch answer to the toast on
the phone (the WebSocket frame on `user.<id>`, static/js/realtime.js) and prints the times in ms.
"""

import argparse
import json
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

PASSWORD = "demo12345"  # noqa: S105  (the demo accounts' documented password)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]


def call(url: str, path: str, body: dict[str, Any] | None = None, token: str = "") -> Any:
    # A URL of the bench's own server (http only).
    request = urllib.request.Request(  # noqa: S310
        url + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Token {token}"} if token else {}),
        },
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--shots", default="screenshots/mobile")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    dispatcher = call(args.url, "/api/v1/auth/token/", {"username": "dispatcher", "password": PASSWORD})[
        "token"
    ]
    worker = call(args.url, "/api/v1/auth/token/", {"username": "gridworker", "password": PASSWORD})["token"]
    grid = call(args.url, "/api/v1/grids/", token=worker)["results"][0]
    lat, lng = grid["lat"], grid["lng"]
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                      locale="zh-CN", service_workers="block")  # fmt: skip
        page = context.new_page()
        page.goto(f"{args.url}/accounts/login/")
        page.fill("#id_username", "gridworker")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/m/")
        page.wait_for_function("() => window.DCCMobileLive && DCCMobileLive.stats.connected", timeout=30_000)
        for n in range(args.rounds):
            case = call(args.url, "/api/v1/cases/", {"category": "dirty-road", "lat": lat, "lng": lng,
                                                     "title": f"直播测试 {n}"}, dispatcher)  # fmt: skip
            if case["status"] == "discovered":
                call(args.url, f"/api/v1/cases/{case['id']}/file/", {}, dispatcher)
            started = time.perf_counter()
            call(args.url, f"/api/v1/cases/{case['id']}/dispatch/", {"assignee": "gridworker"}, dispatcher)
            page.wait_for_function(
                "(title) => Array.from(document.querySelectorAll('.m-toast')).some(t => t.textContent.includes(title))",
                arg=f"直播测试 {n}",
                timeout=10_000,
            )
            times.append((time.perf_counter() - started) * 1000)
        Path(args.shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{args.shots}/30-live-new-task.png")
        browser.close()
    print(json.dumps({"rounds": len(times), "ms": [round(t) for t in times],
                      "median_ms": round(statistics.median(times)), "max_ms": round(max(times))}))  # fmt: skip


if __name__ == "__main__":
    main()
