"""The outbox of /m/: steps written without network are kept on the phone (IndexedDB), shown as waiting,
and sent when the network returns, in order and exactly once, even when an answer is lost on the way
(the step is sent again with the same Idempotency-Key and the server replays its first answer)."""

import pytest

from cases.models import Case, IdempotentRequest
from tests.cases.conftest import Place
from tests.mobile.browser import phone, shot
from tests.mobile.test_phone_flow import dispatched_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEPS_JS = "async () => (await DCCOutbox.steps()).map(s => [s.action, s.state, s.replayed || false])"


def test_steps_written_offline_are_sent_once_in_order(
    live_server, catalogue, place: Place, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    case = dispatched_case(place, category="dirty-road")  # a photo after handling is enough
    compound = place.compound
    with phone(live_server.url, username=place.grid_worker.username, lat=compound.centre_lat,
               lng=compound.centre_lng) as page:  # fmt: skip
        page.goto(f"{live_server.url}/m/#/case/{case.pk}")
        page.wait_for_selector('button[data-action="accept"]')
        page.context.set_offline(True)
        page.wait_for_selector(".m-net.is-offline")

        # Accept, then handled (with a photo): both written offline, both wait on the phone.
        page.tap('button[data-action="accept"]')
        page.tap(".m-sheet button[data-confirm]")
        page.wait_for_selector(".m-pending .m-step.is-waiting")
        page.evaluate(
            """async (id) => {
                const canvas = document.createElement("canvas");
                canvas.width = 64; canvas.height = 64;
                const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg"));
                await DCCOutbox.enqueue({url: "/api/v1/cases/" + id + "/handle/", fields: {note: "离线时已处理"},
                    files: [{field: "photos", blob: blob, name: "after.jpg"}], label: "提交办结 #" + id,
                    caseId: id, action: "handle"});
            }""",
            case.pk,
        )
        page.wait_for_function(
            "() => document.querySelectorAll('.m-pending .m-step.is-waiting').length === 2"
        )
        assert page.is_visible("#m-outbox")
        shot(page, "10-offline-waiting")
        assert Case.objects.get(pk=case.pk).status == "dispatched"  # nothing reached the server

        # The first answer of the accept is lost on the way back: the server did it, the phone does not
        # know. The phone sends it again with the same key and gets the first answer back.
        lost: list[str] = []

        def lose_first_answer(route) -> None:  # type: ignore[no-untyped-def]
            if not lost:
                route.fetch()
                lost.append(route.request.headers["idempotency-key"])
                route.abort()
            else:
                route.continue_()

        page.route(f"**/api/v1/cases/{case.pk}/accept/", lose_first_answer)
        page.context.set_offline(False)
        page.wait_for_function(
            "() => DCCOutbox.last.length === 2 && DCCOutbox.last.every(s => s.state === 'sent')",
            timeout=30_000,
        )
        steps = page.evaluate(STEPS_JS)
        assert steps == [["accept", "sent", True], ["handle", "sent", False]]
        page.wait_for_selector(".m-status-handled", timeout=10_000)
        shot(page, "11-back-online-sent")
        # Nothing is sent again later.
        page.evaluate("() => DCCOutbox.flush()")
        page.wait_for_timeout(500)
        assert not page.errors, page.errors  # type: ignore[attr-defined]

    case.refresh_from_db()
    assert case.status == "handled"
    actions = list(case.events.order_by("at", "pk").values_list("action", flat=True))
    assert actions[-2:] == ["accept", "handle"]
    assert actions.count("accept") == 1
    assert actions.count("handle") == 1
    assert IdempotentRequest.objects.filter(key=lost[0]).count() == 1
