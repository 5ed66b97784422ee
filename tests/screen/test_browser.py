"""The wall screen in headless Chromium against the real district processes (daphne, mqtt_listen, a
Celery worker) on the test database and a private Mosquitto: an MQTT alarm reaches the map and the feed
within 2 s; a channel layer that drops messages still leaves the page equal to the database.

Screenshots go to screenshots/ (gitignored): look at them after a change to the page.
"""

import os
import random
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from cases.models import Case
from command_center.realtime import current_seqs
from devices.models import Alarm, Inbox, Reading, SensorPoint
from grids.models import Grid
from screen.scope import HEALTH_ALARM_TYPES
from tests.conftest import ROOT
from tests.screen.district import CHROMIUM_ARGS, District, Sensors, in_thread, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.timeout(600),
    pytest.mark.district(
        "drives the district processes (gunicorn, daphne, Celery, mqtt_listen); the standalone page is tested through runcenter"
    ),
]
SHOTS = ROOT / "screenshots"
POINTS = 10_000
DEMO_PASSWORD = "demo12345"


def demo_street() -> None:
    """The demo street (seed_demo: 18 grids, 137 compounds, 9,165 points), topped up to 10,000 points,
    most of them online, today's patrol tracks, and a few cases in every state of a grid."""
    call_command("seed_demo", verbosity=0)
    call_command("seed_patrols", "--every", "120", verbosity=0)
    rnd = random.Random(7)
    grids = list(Grid.objects.all())
    template = SensorPoint.objects.filter(scene__code="nonmotor-parking").first()
    missing = POINTS - SensorPoint.objects.count()
    extra = []
    for n in range(missing):
        grid = grids[n % len(grids)]
        ring = grid.boundary["coordinates"][0]
        lngs, lats = [p[0] for p in ring], [p[1] for p in ring]
        lng = grid.centre_lng + (rnd.random() - 0.5) * (max(lngs) - min(lngs)) * 0.5
        lat = grid.centre_lat + (rnd.random() - 0.5) * (max(lats) - min(lats)) * 0.5
        extra.append(SensorPoint(code=f"EX-{n:05d}", scene=template.scene, sensor_type=template.sensor_type,
                                 lat=lat, lng=lng, grid=grid))  # fmt: skip
    SensorPoint.objects.bulk_create(extra)
    now = timezone.now()
    ids = list(SensorPoint.objects.order_by("pk").values_list("pk", flat=True))
    online = ids[: int(len(ids) * 0.96)]
    SensorPoint.objects.filter(pk__in=online).update(last_seen_at=now, offline_after=now + timedelta(hours=6))
    category = Case._meta.get_field("category").related_model
    fire_lane = category.objects.get(code="fire-lane")
    for i, grid in enumerate(grids[:6]):
        Case.objects.create(
            source=[Case.Source.PATROL, Case.Source.RESIDENT, Case.Source.HOTLINE][i % 3],
            category=fire_lane,
            title=f"消防通道堵塞 {grid.name}",
            severity="major",
            status=["dispatched", "in_progress", "filed"][i % 3],
            lat=grid.centre_lat,
            lng=grid.centre_lng,
            grid=grid,
            community=grid.community,
            overdue=i in (1, 4),
            deadline=now + timedelta(hours=-1 if i in (1, 4) else 4),
        )


def smoke_points(count: int) -> list[str]:
    """Active smoke detectors (not in maintenance) without an active alarm."""
    busy = Alarm.objects.filter(cleared_at__isnull=True).values("point_id")
    points = SensorPoint.objects.filter(scene__code="smoke", compound__isnull=False, status="active")
    points = points.exclude(pk__in=busy)
    return list(points.order_by("pk").values_list("code", flat=True)[:count])


@contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_screen(browser, district: District, *, user: str = "dispatcher", path: str = "/screen/"):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{district.url}/accounts/login/?next={path}")
    page.fill("#id_username", user)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}*")
    # A function, not an expression: Playwright polls an expression with eval, which the CSP forbids.
    page.wait_for_function(
        "() => window.DCC && DCC.stats.connected && DCC.stats.snapshots > 0", timeout=30_000
    )
    page.errors = errors  # type: ignore[attr-defined]
    return page


STORM_JS = """async ({frames, perFrame, base}) => {
  const longTasks = [];
  const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
  observer.observe({entryTypes: ["longtask"]});
  const beeps = DCC.stats.beeps;
  const started = performance.now();
  const grids = Array.from(DCC.state.grids.values());
  let id = base;
  for (let f = 0; f < frames; f++) {
    const events = [];
    for (let i = 0; i < perFrame; i++) {
      const g = grids[id % grids.length];
      id += 1;
      events.push({kind: "alarm", event: "alarm.raised", events: ["alarm.raised"], id: id, version: 1, since: 1,
        grid: g.id, at: new Date().toISOString(), data: {title: "烟感报警 STORM-" + id, severity: "critical",
        status: "active", lat: g.lat + (Math.random() - 0.5) * 0.002, lng: g.lng + (Math.random() - 0.5) * 0.002,
        place: g.name, sensor_point: "STORM-" + id, scene: "smoke"}});
    }
    DCC.inject({type: "events", events: events, received: events.length, resync: false, t: Date.now() / 1000});
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
  observer.disconnect();
  return {alarms: DCC.state.alarms.size, onMap: DCC.onMap("alarm", id), beeps: DCC.stats.beeps - beeps,
          elapsedMs: performance.now() - started,
          longTasks: longTasks.length, maxLongTaskMs: Math.max(0, ...longTasks)};
}"""


def settle(page, seconds: float = 2.5) -> None:  # type: ignore[no-untyped-def]
    """Marker clustering loads 10,000 points in chunks; charts animate."""
    page.wait_for_timeout(int(seconds * 1000))


def no_scrollbars(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "document.documentElement.scrollWidth <= innerWidth && document.documentElement.scrollHeight <= innerHeight"
    )


def page_objects(page, kind: str) -> dict[int, int]:  # type: ignore[no-untyped-def]
    store = "alarms" if kind == "alarm" else "cases"
    pairs = page.evaluate(f"Array.from(DCC.state.{store}.values()).map(r => [r.id, r.version])")
    return {int(pk): int(version) for pk, version in pairs}


def database_objects(kind: str) -> dict[int, int]:
    if kind == "alarm":
        rows = Alarm.objects.filter(cleared_at__isnull=True).exclude(type__in=HEALTH_ALARM_TYPES)
    else:
        rows = Case.objects.filter(status__in=Case.Status.OPEN)
    return dict(rows.values_list("id", "version"))


def quiet_for(seconds: float):  # type: ignore[no-untyped-def]
    """A condition: no realtime message was numbered for `seconds`."""
    last = {"seq": -1, "since": time.monotonic()}

    def quiet() -> bool:
        seq = current_seqs(["district"])["district"]
        if seq != last["seq"]:
            last.update(seq=seq, since=time.monotonic())
        return time.monotonic() - last["since"] >= seconds

    return quiet


def pipeline_state() -> dict[str, int]:
    return {
        "inbox_unprocessed": Inbox.objects.filter(processed_at__isnull=True).count(),
        "alarms_case_pending": Alarm.objects.filter(case_pending=True).count(),
        "open_cases": Case.objects.filter(status__in=Case.Status.OPEN).count(),
    }


def pipeline_idle() -> bool:
    return not (
        Inbox.objects.filter(processed_at__isnull=True).exists()
        or Alarm.objects.filter(case_pending=True).exists()
    )


def test_an_mqtt_alarm_reaches_the_map_and_the_feed_within_2_seconds(
    private_mosquitto, tmp_path, transactional_db
):
    demo_street()
    SHOTS.mkdir(exist_ok=True)
    warm_code, code = smoke_points(2)
    district = District(private_mosquitto, tmp_path).start()
    sensors = Sensors(private_mosquitto)
    try:
        with chromium() as browser:
            page = open_screen(browser, district)
            settle(page)
            assert page.evaluate("DCC.state.pointsShown") == POINTS
            assert page.evaluate("DCC.state.grids.size") == 18
            assert page.evaluate("DCC.state.workers.size") > 0
            assert no_scrollbars(page)
            assert page.locator(".kpi-value").first.inner_text() != "–"
            assert page.inner_text("h1").startswith("综合指挥中心")  # Simplified Chinese by default
            assert page.evaluate("DCC.stats.pointsLoadedMs") is not None  # 10,000 points clustered
            # GCJ-02 (Chinese tile providers): Shanghai shifts ~200 m south, ~450 m east; abroad, nothing.
            lat, lng = page.evaluate("DCC.wgs84ToGcj02(31.27, 121.48)")
            assert -0.0025 < lat - 31.27 < -0.0015
            assert 0.004 < lng - 121.48 < 0.005
            assert page.evaluate("DCC.wgs84ToGcj02(48.8566, 2.3522)") == [48.8566, 2.3522]
            page.screenshot(path=str(SHOTS / "screen-1920x1080.png"))

            # Warm the pipeline (first task of a fresh worker), then time one alarm end to end.
            sensors.send(warm_code, value=0)
            assert wait_until(
                lambda: in_thread(Reading.objects.filter(point__code=warm_code).exists), timeout=30
            )
            started = time.monotonic()
            sensors.send(code, value=1)
            page.wait_for_function(
                "code => Array.from(DCC.state.alarms.values()).some(a => a.sensor_point === code)",
                arg=code,
                timeout=2000,
            )
            page.wait_for_function(
                "code => Array.from(document.querySelectorAll('#feed li')).some(li => li.textContent.includes(code))",
                arg=code,
                timeout=max(1, int((2.0 - (time.monotonic() - started)) * 1000)),
            )
            elapsed = time.monotonic() - started
            assert elapsed <= 2.0, f"alarm took {elapsed:.2f}s to reach the screen"

            alarm = in_thread(
                Alarm.objects.select_related("point").get, Q(point__code=code, cleared_at__isnull=True)
            )
            assert page.evaluate("id => DCC.onMap('alarm', id)", alarm.pk)
            assert page.locator("#feed li.flash").count() >= 1  # smoke is critical: it flashes
            assert page.evaluate("DCC.stats.beeps") >= 1  # and beeps (muted until someone clicks)
            page.locator("#feed li", has_text=code).first.click()  # a feed line shows its marker
            page.wait_for_function("id => DCC.markerVisible('alarm', id)", arg=alarm.pk, timeout=5000)
            page.wait_for_selector(".leaflet-popup-content", timeout=5000)
            popup = page.inner_text(".leaflet-popup-content")
            assert code in popup
            assert not any(status in popup for status in Case.Status.values)  # named in Chinese, not coded
            settle(page, 1.5)
            page.screenshot(path=str(SHOTS / "screen-alarm-1920x1080.png"))

            # The connection drops: a banner says so; back up, the page reloads the snapshot.
            snapshots = page.evaluate("DCC.stats.snapshots")
            district.children["daphne"].stop()
            page.wait_for_selector("#offline-banner", state="visible", timeout=5000)
            page.screenshot(path=str(SHOTS / "screen-offline-1920x1080.png"))
            district.restart("daphne")
            page.wait_for_selector("#offline-banner", state="hidden", timeout=30_000)
            page.wait_for_function("n => DCC.stats.snapshots > n", arg=snapshots, timeout=10_000)

            # 4K wall: the same layout, twice the size, still no scrolling.
            page.set_viewport_size({"width": 3840, "height": 2160})
            settle(page, 2)
            assert no_scrollbars(page)
            assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") == 32
            page.screenshot(path=str(SHOTS / "screen-3840x2160.png"))

            # A per-grid screen shows that grid only.
            grid_id = alarm.point.grid_id
            grid_page = open_screen(browser, district, path=f"/screen/?grid={grid_id}")
            settle(grid_page)
            assert grid_page.evaluate("Array.from(DCC.state.grids.keys())") == [grid_id]
            assert grid_page.evaluate("id => DCC.state.alarms.has(id)", alarm.pk)
            grid_page.screenshot(path=str(SHOTS / "screen-grid-1920x1080.png"))
            assert page.errors == []
            assert grid_page.errors == []

            # A storm: 1,000 new critical alarms a second for 3 s in coalesced frames (10 a second).
            storm_page = open_screen(browser, district)
            settle(storm_page)
            before = storm_page.evaluate("DCC.state.alarms.size")
            result = storm_page.evaluate(STORM_JS, {"frames": 30, "perFrame": 100, "base": 10_000_000})
            print("storm in the browser:", result)
            assert result["alarms"] == before + 3000
            assert result["onMap"] is True
            # The page never froze for a second (per unit of CPU contention: other work shares this box).
            contention = max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
            assert result["maxLongTaskMs"] < 1000 * contention, (result, contention)
            assert storm_page.evaluate("DCC.stats.maxDrainMs") < 1000 * contention
            assert result["beeps"] <= result["elapsedMs"] / 2000 + 1  # one beep per 2 s, not one per frame
            assert storm_page.errors == []
    finally:
        sensors.close()
        district.stop()


def test_the_page_converges_to_the_database_when_the_channel_layer_drops_messages(
    private_mosquitto, tmp_path, transactional_db
):
    demo_street()
    SHOTS.mkdir(exist_ok=True)
    codes = smoke_points(150)
    # The core Redis layer with room for one message per screen.
    district = District(private_mosquitto, tmp_path, extra_env={"CHANNEL_LAYER_CAPACITY": "1"}).start()
    sensors = Sensors(private_mosquitto)
    try:
        with chromium() as browser:
            page = open_screen(browser, district)
            settle(page)
            before = current_seqs(["district"])["district"]
            # The screen's server falls behind (a pause) during a burst: the layer keeps one message.
            daphne = district.children["daphne"].popen
            os.kill(daphne.pid, signal.SIGSTOP)
            try:
                for code in codes:
                    sensors.send(code, value=1, wait=False)
                # Paused until at least 20 messages were sent for the screen meanwhile.
                sent_in_pause = lambda: current_seqs(["district"])["district"] - before  # noqa: E731
                assert wait_until(lambda: sent_in_pause() >= 20, timeout=30), sent_in_pause()
            finally:
                os.kill(daphne.pid, signal.SIGCONT)
            raised = Alarm.objects.filter(point__code__in=codes).count
            assert wait_until(lambda: in_thread(raised) == len(codes), timeout=90), in_thread(raised)
            assert wait_until(lambda: in_thread(pipeline_idle), timeout=120), in_thread(pipeline_state)
            assert wait_until(quiet_for(3.0), timeout=120)  # case workflows finish their events too

            def converged() -> bool:
                return all(
                    page_objects(page, kind) == in_thread(database_objects, kind)
                    for kind in ("alarm", "case")
                )

            assert wait_until(converged, timeout=30, every=0.5), district.logs()
            stats = page.evaluate("DCC.stats")
            sent = current_seqs(["district"])["district"] - before
            assert stats["received"] < sent, (
                "the layer dropped nothing: the test proves nothing",
                stats,
                sent,
            )
            assert stats["resyncs"] >= 1
            assert stats["hellos"] == 1, (stats, district.logs())  # converged through resync, not a reconnect
            assert len(page_objects(page, "alarm")) >= len(codes)
            settle(page, 1)
            page.screenshot(path=str(SHOTS / "screen-after-drops-1920x1080.png"))
            assert page.errors == []
    finally:
        sensors.close()
        district.stop()
