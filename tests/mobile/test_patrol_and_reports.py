"""Patrol and reports on /m/ in a 390×844 touch phone: positions every 30 s while on patrol, a pause
shown as a gap; a problem found on patrol becomes a case with source `patrol`; a gate guard's renovation
report lands with urban management without a dispatcher, and the guard sees it in their reports."""

import itertools
import time
from datetime import timedelta

import pytest

from accounts.models import User
from cases.models import Case, CasePhoto
from grids.models import PatrolPosition
from tests.cases.conftest import Place
from tests.mobile.browser import camera_jpeg, phone, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_patrol_records_every_30_seconds_and_shows_a_pause_as_a_gap(
    live_server, catalogue, place: Place, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    lat, lng = place.compound.centre_lat, place.compound.centre_lng
    # The phone's clock an hour behind: jumping it ahead below never reaches the future.
    clock_at = time.time() - 3600
    with phone(
        live_server.url, username=place.grid_worker.username, lat=lat, lng=lng, clock_at=clock_at
    ) as page:
        page.goto(f"{live_server.url}/m/#/patrol")
        page.wait_for_selector('button[data-patrol="start"]')
        page.tap('button[data-patrol="start"]')
        page.wait_for_selector('button[data-patrol="stop"]')
        for step in range(1, 4):  # three more points, 30 s apart, walking north
            page.context.set_geolocation({"latitude": lat + step * 0.0002, "longitude": lng})
            page.clock.run_for(30_000)
        page.wait_for_function(
            "(n) => document.querySelector('[data-track]').textContent.includes(' ' + n + ' ')", arg=4
        )
        # A pause: patrol stopped for five minutes, then on again: two pieces, one gap.
        page.tap('button[data-patrol="stop"]')
        page.clock.run_for(300_000)
        page.context.set_geolocation(
            {"latitude": lat + 0.0009, "longitude": lng + 0.0006}
        )  # walked on, unrecorded
        page.tap('button[data-patrol="start"]')
        page.context.set_geolocation({"latitude": lat + 0.001, "longitude": lng + 0.001})
        page.clock.run_for(30_000)
        page.wait_for_function(
            "() => /(中断|Gaps) 1/.test(document.querySelector('[data-track]').textContent)"
        )
        shot(page, "20-patrol")
        # Uploads go out after each point; the last may still be on its way.
        for _ in range(40):
            if PatrolPosition.objects.filter(user=place.grid_worker).count() == 6:
                break
            page.evaluate("() => DCCPatrol.upload()")
            page.wait_for_timeout(250)
        assert not page.errors, page.errors  # type: ignore[attr-defined]
    times = list(
        PatrolPosition.objects.filter(user=place.grid_worker)
        .order_by("recorded_at")
        .values_list("recorded_at", flat=True)
    )
    assert len(times) == 6
    steps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # 30 s apart (the time is read once the position is found, a few milliseconds either way).
    assert all(abs(step - timedelta(seconds=30)) < timedelta(seconds=1) for step in steps[:3]), steps
    assert max(steps) >= timedelta(minutes=5)


def report(page, tmp_path, category: str, description: str) -> None:  # type: ignore[no-untyped-def]
    page.tap('.m-tabs a[data-tab="report"]')
    page.wait_for_selector("#m-report")
    page.wait_for_function(
        "() => /\\d+\\.\\d+, \\d+\\.\\d+/.test(document.querySelector('[data-where]').textContent)"
    )
    page.select_option("#m-report select[name=category]", category)
    page.fill("#m-report textarea[name=description]", description)
    photo = tmp_path / "report.jpg"
    photo.write_bytes(camera_jpeg())
    page.set_input_files("#m-report input[data-photos]", str(photo))
    page.wait_for_selector("#m-report .m-thumbs figure", timeout=20_000)


def test_a_problem_found_on_patrol_becomes_a_patrol_case(
    live_server, catalogue, place: Place, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    lat, lng = place.compound.centre_lat, place.compound.centre_lng
    with phone(live_server.url, username=place.grid_worker.username, lat=lat, lng=lng) as page:
        report(page, tmp_path, "exposed-garbage", "垃圾桶满溢，周边散落")
        shot(page, "21-patrol-report")
        page.tap("#m-report button[type=submit]")
        page.wait_for_function(
            "() => DCCOutbox.last.length === 1 && DCCOutbox.last[0].state === 'sent'", timeout=20_000
        )
        shot(page, "22-patrol-report-sent")
        assert not page.errors, page.errors  # type: ignore[attr-defined]
    case = Case.objects.get(reporter=place.grid_worker)
    assert (case.source, case.category.code, case.description) == (
        "patrol",
        "exposed-garbage",
        "垃圾桶满溢，周边散落",
    )
    photo = CasePhoto.objects.get(case=case)
    assert (photo.kind, photo.size <= 500 * 1024) == ("report", True)


def test_a_guards_renovation_report_lands_with_urban_management(
    live_server, catalogue, place: Place, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    guard = User.objects.create_user(username="guard", password="test-pass-9173", role=User.Role.GATE_GUARD)
    place.compound.guards.add(guard)
    lat, lng = place.compound.centre_lat, place.compound.centre_lng
    with phone(live_server.url, username="guard", lat=lat, lng=lng) as page:
        assert page.locator('.m-tabs a[data-tab="patrol"]').count() == 0
        report(page, tmp_path, "illegal-renovation", "5 号楼 301 室拆除承重墙")
        page.tap("#m-report button[type=submit]")
        page.wait_for_function(
            "() => DCCOutbox.last.length === 1 && DCCOutbox.last[0].state === 'sent'", timeout=20_000
        )
        case = Case.objects.get(reporter=guard)
        page.tap('.m-tabs a[data-tab="tasks"]')
        page.wait_for_selector(f'a[data-case="{case.pk}"] .m-status-dispatched')
        shot(page, "23-guard-reports")
        assert not page.errors, page.errors  # type: ignore[attr-defined]
    assert (case.status, case.department, case.source) == ("dispatched", place.urban, "manual")
