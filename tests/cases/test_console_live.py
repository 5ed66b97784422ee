"""The console works live: a case another user changes through the API appears in an open console
within 2 s, in its detail and in the queue, and an in-app notification shows a toast. daphne serves
the page and the socket; the change is made in this process and reaches daphne through Redis."""

import json
import time
import uuid

import pytest
from django.conf import settings
from django.test import Client

from cases.models import Case, Notification
from cases.notify import deliver
from cases.services import create_case
from tests.factories import PASSWORD
from tests.screen.district import CHROMIUM_ARGS, Daphne, in_thread, logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.timeout(300)]


def act(user, case_id: int, action: str, body: dict) -> int:  # type: ignore[no-untyped-def]
    """Another user's action through the API (in this process: its commit sends the realtime event)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    response = client.post(
        f"/api/v1/cases/{case_id}/{action}/",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    return response.status_code


@pytest.mark.django_db(transaction=True)
def test_a_case_changed_by_another_user_appears_in_an_open_console_within_2_seconds(
    catalogue, place, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.skip("daphne and this process share events through Redis")
    from playwright.sync_api import sync_playwright

    def report() -> Case:
        return create_case(
            source="hotline",
            category_code="exposed-garbage",
            title="垃圾桶满溢",
            lat=place.compound.centre_lat,
            lng=place.compound.centre_lng,
        )

    case = in_thread(report)
    assert case.status == Case.Status.DISCOVERED
    with Daphne(tmp_path) as daphne, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        path = f"/console/?case={case.pk}"
        page = logged_in_page(browser, daphne.url, place.dispatcher.username, path, PASSWORD)
        page.wait_for_selector(f'.detail-head:has-text("#{case.pk}") .badge.status-discovered')
        page.wait_for_selector("#conn.conn-up", timeout=10_000)  # the socket is open
        page.wait_for_timeout(500)  # the reload every hello asks for has settled

        started = time.monotonic()
        assert in_thread(act, place.duty_chief, case.pk, "file", {"note": ""}) == 200
        page.wait_for_selector(f'.detail-head:has-text("#{case.pk}") .badge.status-filed', timeout=2000)
        page.wait_for_selector(
            f'#queue li[data-id="{case.pk}"] .badge.status-filed',
            timeout=max(1, int((2.0 - (time.monotonic() - started)) * 1000)),
        )
        elapsed = time.monotonic() - started
        assert elapsed <= 2.0, f"the change took {elapsed:.2f}s to reach the console"
        assert page.locator('button[data-action="dispatch"]').count() == 1  # the new state's actions

        # A notification to the dispatcher's own group (user.<id>) shows a toast.
        def notify() -> str:
            row = Notification.objects.create(
                case=case, recipient=place.dispatcher, channel="in_app", subject="案件即将超期",
                idempotency_key=f"test-{uuid.uuid4()}",
            )  # fmt: skip
            return deliver(row.pk)

        in_thread(notify)
        page.wait_for_selector('.toast:has-text("案件即将超期")', timeout=2000)
        assert not page.locator(".toast.error").count()
        assert not page.errors, page.errors
        assert page.evaluate("window.__violations") == []  # the socket is allowed by the CSP
        browser.close()
