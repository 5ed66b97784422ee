"""/m/'s live alerts, fed frames as the socket delivers them (DCCMobileLive.inject): SOS alerts with sound and
vibration; a new task and a returned case are shown once, even when the frame comes by two groups.
(bench/mobile_live.py measures the real path, dispatch → WebSocket → phone, against a running server.)"""

import pytest

from tests.cases.conftest import Place
from tests.mobile.browser import phone, shot
from tests.mobile.test_phone_flow import dispatched_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIBRATIONS = "window.__vibrations = []; navigator.vibrate = (pattern) => { window.__vibrations.push(pattern); return true; };"


def frame(*events: dict) -> dict:  # type: ignore[type-arg]
    return {"type": "events", "events": list(events), "received": len(events)}


def test_sos_new_task_and_returned_alerts(live_server, catalogue, place: Place, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    case = dispatched_case(place)
    worker = place.grid_worker
    with phone(live_server.url, username=worker.username, lat=31.26, lng=121.47) as page:
        page.add_init_script(RECORD_VIBRATIONS)
        page.reload()
        page.wait_for_selector(f'a[data-case="{case.pk}"]')
        sos = {"kind": "case", "event": "case.created", "events": ["case.created"], "id": 9001, "version": 1,
               "data": {"category": "sos", "severity": "critical", "place": "小区0 3 号楼", "title": "一键求助"}}  # fmt: skip
        task = {"kind": "case", "event": "case.dispatched", "events": ["case.dispatched"], "id": case.pk,
                "version": 9, "data": {"assignee": worker.pk, "title": "井盖缺失", "severity": "minor"}}  # fmt: skip
        page.evaluate("(f) => DCCMobileLive.inject(f)", frame(sos, task, task))  # the task by two groups
        page.wait_for_selector(".m-toast.is-critical")
        assert page.evaluate("() => window.__vibrations.length") == 1
        toasts = page.locator(".m-toast").all_inner_texts()
        assert sum("井盖缺失" in text for text in toasts) == 1, toasts
        returned = {"kind": "case", "event": "case.verified", "events": ["case.verified"], "id": case.pk,
                    "version": 10, "data": {"assignee": worker.pk, "status": "dispatched"}}  # fmt: skip
        page.evaluate("(f) => DCCMobileLive.inject(f)", frame(returned))
        page.wait_for_function(
            "(id) => Array.from(document.querySelectorAll('.m-toast')).some(t => t.textContent.includes('#' + id))",
            arg=case.pk,
        )
        shot(page, "31-live-alerts")
        assert not page.errors, page.errors  # type: ignore[attr-defined]
