"""Escalation policies copied onto cases, the overdue sweep, repeats, stops; notifications idempotent."""

import base64
import json
from datetime import timedelta

import pytest
import redis
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from cases import escalation, notify
from cases.escalation import choose_policy
from cases.models import Case, CaseEscalation, Category, EscalationPolicy, Notification, NotificationAttempt
from cases.photos import PhotoUpload
from cases.services import (
    alarm_cases_together,
    create_case,
    fire_due_escalations,
    open_case_from_alarm,
    sweep_deadlines,
)
from cases.workflow import apply_transition
from tests.factories import UserFactory


def smoke_alarm(place, key="alarm:5", category="fire-smoke", emergency=False):  # type: ignore[no-untyped-def]
    return open_case_from_alarm(
        source_key=key, category_code=category, severity="critical", title="烟感报警", description="",
        lat=place.compound.centre_lat, lng=place.compound.centre_lng, grid_id=place.grid.pk,
        compound_id=place.compound.pk, occurred_at=timezone.now(), emergency=emergency,
    )  # fmt: skip


def test_the_most_specific_policy_is_chosen(catalogue) -> None:  # type: ignore[no-untyped-def]
    smoke = Category.objects.get(code="fire-smoke")
    garbage = Category.objects.get(code="exposed-garbage")
    assert choose_policy(smoke, "critical").code == "fire-smoke"
    assert choose_policy(garbage, "minor").code == "default"
    severe = EscalationPolicy.objects.create(
        code="smoke-critical", name="x", category=smoke, severity="critical"
    )
    assert choose_policy(smoke, "critical") == severe
    assert choose_policy(smoke, "minor").code == "fire-smoke"
    parent = EscalationPolicy.objects.create(code="appearance", name="x", category=garbage.parent)
    assert choose_policy(garbage, "minor") == parent


def test_steps_are_copied_and_policy_edits_do_not_touch_running_cases(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case = Case.objects.get(pk=smoke_alarm(place))
    steps = list(case.escalations.order_by("position").values_list("position", "target", "anchor", "due_at"))
    assert [s[:3] for s in steps] == [
        (1, "department", "start"), (2, "grid_worker", "start"),
        (3, "community_secretary", "overdue"), (4, "duty_chief", "overdue"),
    ]  # fmt: skip
    # Step 1 waits 0 after the start: it fired as the case was created and repeats after 5 minutes.
    assert steps[0][3] == case.created_at + timedelta(minutes=5)
    assert steps[2][3] is None
    EscalationPolicy.objects.get(code="fire-smoke").steps.all().delete()
    assert case.escalations.count() == 4


def test_a_due_step_notifies_once_per_person_and_channel(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case_id = smoke_alarm(place)  # its steps 1 and 2 (wait 0) fire as it is created
    now = timezone.now()
    sent = Notification.objects.filter(case_id=case_id)
    assert sorted(sent.values_list("recipient__username", "channel")) == [
        ("gw", "in_app"), ("prop", "in_app"), ("prop", "sms"),
    ]  # fmt: skip
    assert sent.get(channel="sms").address == "13800000006"
    # Fired again at once: nothing is due (repeat in 5 minutes), nothing is duplicated.
    assert fire_due_escalations(case_id=case_id, now=now) == 0
    assert Notification.objects.filter(case_id=case_id).count() == 3
    # 5 minutes later the repeat fires (repeat limit 2), then again, then never.
    fire_due_escalations(case_id=case_id, now=now + timedelta(minutes=5))
    fire_due_escalations(case_id=case_id, now=now + timedelta(minutes=10))
    fire_due_escalations(case_id=case_id, now=now + timedelta(minutes=15))
    assert (
        Notification.objects.filter(case_id=case_id, recipient__username="prop", channel="sms").count() == 3
    )
    step = CaseEscalation.objects.get(case_id=case_id, position=1)
    assert (step.state, step.fire_count) == ("done", 3)
    escalated = Case.objects.get(pk=case_id).events.filter(action="escalate")
    assert escalated.count() == 6
    assert escalated.first().data["recipients"] == ["prop"]


@pytest.mark.district("Celery tasks on the Redis broker (standalone runs them inline)")
def test_a_step_queues_its_notifications_as_one_task_that_delivers_each(  # type: ignore[no-untyped-def]
    catalogue, place, django_capture_on_commit_callbacks, settings
) -> None:
    """One task for a step's notifications, on the real broker: a Celery task cost the worker more CPU
    than a delivery (a smoke case's first steps notify 3-10 people)."""
    from cases.tasks import send_notifications

    case_id = smoke_alarm(place)
    step = CaseEscalation.objects.get(case_id=case_id, position=1)
    first = set(Notification.objects.filter(escalation=step).values_list("pk", flat=True))
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    waiting = broker.llen("notify")
    repeat = step.due_at  # step 1 fired as the case was created; this is its first repeat
    with django_capture_on_commit_callbacks(execute=True):
        apply_transition(case_id=case_id, action="escalate", params={"step": step.pk}, at=repeat)
    created = sorted(
        Notification.objects.filter(escalation=step).exclude(pk__in=first).values_list("pk", flat=True)
    )
    assert len(created) == len(first) == 2
    assert broker.llen("notify") == waiting + 1
    message = json.loads(broker.lpop("notify"))  # kombu pushes on the left
    assert message["headers"]["task"] == "cases.tasks.send_notifications"
    args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert sorted(args[0]) == created

    assert send_notifications(args[0]) == ["sent", "sent"]
    assert set(Notification.objects.filter(pk__in=created).values_list("status", flat=True)) == {"sent"}
    assert NotificationAttempt.objects.filter(notification_id__in=created).count() == 2
    assert send_notifications(args[0]) == ["", ""]  # delivered already: nothing is sent twice


def queued_tasks(broker: redis.Redis, queue: str, since: int) -> list[str]:
    """Names of the tasks pushed on `queue` since it held `since` messages (kombu pushes on the left)."""
    messages = broker.lrange(queue, 0, broker.llen(queue) - since - 1)
    return [json.loads(message)["headers"]["task"] for message in messages]


def queued_ids(broker: redis.Redis, queue: str, since: int) -> list[list[int]]:
    """The id lists (first argument, sorted) of the tasks pushed on `queue` since it held `since`."""
    messages = broker.lrange(queue, 0, broker.llen(queue) - since - 1)
    return [sorted(json.loads(base64.b64decode(json.loads(m)["body"]))[0][0]) for m in messages]


@pytest.mark.district("Celery tasks on the Redis broker (standalone runs them inline)")
def test_a_new_case_fires_its_due_steps_as_it_is_created(  # type: ignore[no-untyped-def]
    catalogue, place, django_capture_on_commit_callbacks, settings
) -> None:
    """Steps due at once fire in the transaction that creates the case, whatever its source: no
    escalate_case task, and one send_notifications task for all of the case's first notifications."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    cases, notify = broker.llen("cases"), broker.llen("notify")
    with django_capture_on_commit_callbacks(execute=True):
        case_id = smoke_alarm(place)
    fired = CaseEscalation.objects.filter(case_id=case_id, fire_count=1)
    assert sorted(fired.values_list("position", flat=True)) == [1, 2]
    assert Case.objects.get(pk=case_id).events.filter(action="escalate").count() == 2
    assert queued_tasks(broker, "cases", cases) == []
    assert queued_tasks(broker, "notify", notify) == ["cases.tasks.send_notifications"]
    pending = Notification.objects.filter(case_id=case_id, status="pending")
    assert queued_ids(broker, "notify", notify) == [sorted(pending.values_list("pk", flat=True))]

    with django_capture_on_commit_callbacks(execute=True):
        report = create_case(
            source=Case.Source.PATROL, category_code="fire-smoke", lat=place.compound.centre_lat,
            lng=place.compound.centre_lng, title="巡查发现烟雾",
        )  # fmt: skip
    assert sorted(
        CaseEscalation.objects.filter(case=report, fire_count=1).values_list("position", flat=True)
    ) == [1, 2]
    assert queued_tasks(broker, "cases", cases) == []
    assert queued_tasks(broker, "notify", notify) == ["cases.tasks.send_notifications"] * 2
    for queue, before in (("cases", cases), ("notify", notify)):
        while broker.llen(queue) > before:
            broker.lpop(queue)


def repeat_first_step(case_id: int) -> int:
    """Queries taken to fire step 1 (the department, in-app and SMS) of the case again, when it repeats
    (it fired as the case was created)."""
    step = CaseEscalation.objects.get(case_id=case_id, position=1)
    with CaptureQueriesContext(connection) as queries:
        apply_transition(case_id=case_id, action="escalate", params={"step": step.pk}, at=step.due_at)
    return len(queries)


def test_a_step_notifies_its_whole_department_in_a_fixed_number_of_queries(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    """The notifications of a step go in together: as many queries for 8 people as for 1 (in a storm every
    new smoke case notifies its property company at once)."""
    one = repeat_first_step(smoke_alarm(place, key="alarm:one"))
    for n in range(7):
        UserFactory(role=User.Role.HANDLER, department=place.property_company, phone=f"1390000000{n}")
    case_id = smoke_alarm(place, key="alarm:eight")
    assert repeat_first_step(case_id) == one
    for fire in (1, 2):  # as the case was created, then the repeat
        sent = Notification.objects.filter(
            case_id=case_id, escalation__position=1, idempotency_key__contains=f":{fire}:"
        )
        assert sent.filter(channel="in_app").count() == sent.filter(channel="sms").count() == 8
        assert set(sent.values_list("status", flat=True)) == {"pending"}


def test_a_notification_already_there_is_kept_as_it_is(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    """Idempotent by key: a step firing again with the same count leaves an existing notification alone
    (not duplicated, not sent again) and adds the missing ones."""
    case_id = smoke_alarm(place)
    step = CaseEscalation.objects.get(case_id=case_id, position=1)
    user = place.property_handler
    already = Notification.objects.create(
        case_id=case_id, escalation=step, recipient=user, channel="sms", address=user.phone, subject="s",
        status=Notification.Status.SENT, idempotency_key=f"esc:{step.pk}:2:sms:{user.pk}",
    )  # fmt: skip
    repeat_first_step(case_id)
    sent = Notification.objects.filter(case_id=case_id, escalation=step, idempotency_key__contains=":2:")
    assert sorted(sent.values_list("channel", "status")) == [("in_app", "pending"), ("sms", "sent")]
    assert sent.get(channel="sms").pk == already.pk


def test_acceptance_stops_the_until_accepted_steps(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case_id = smoke_alarm(place)  # steps 1 and 2 fired as it was created; they would repeat in 5 minutes
    first = Notification.objects.filter(case_id=case_id).count()
    apply_transition(case_id=case_id, action="accept", actor=place.property_handler)
    states = dict(CaseEscalation.objects.filter(case_id=case_id).values_list("position", "state"))
    assert states == {1: "stopped", 2: "stopped", 3: "waiting", 4: "waiting"}
    assert fire_due_escalations(case_id=case_id, now=timezone.now() + timedelta(minutes=5)) == 0
    assert Notification.objects.filter(case_id=case_id).count() == first == 3


def test_the_sweep_marks_overdue_and_drives_overdue_steps(catalogue, place, jpeg) -> None:  # type: ignore[no-untyped-def]
    case_id = smoke_alarm(place)
    apply_transition(case_id=case_id, action="accept", actor=place.property_handler)
    case = Case.objects.get(pk=case_id)
    just_before = case.deadline - timedelta(seconds=1)
    assert sweep_deadlines(now=just_before)["overdue"] == 0
    after = case.deadline + timedelta(seconds=1)
    result = sweep_deadlines(now=after)
    assert result["overdue"] == 1
    assert result["escalated"] == 1
    case.refresh_from_db()
    assert (case.overdue, case.ever_overdue) == (True, True)
    assert case.events.filter(action="mark_overdue").count() == 1
    secretary = Notification.objects.filter(case_id=case_id, recipient=place.secretary)
    assert sorted(secretary.values_list("channel", flat=True)) == ["sms", "voice"]
    # Swept again: nothing new (idempotent).
    assert sweep_deadlines(now=after)["overdue"] == 0
    assert secretary.count() == 2
    # 15 minutes later the duty chief gets a call.
    sweep_deadlines(now=after + timedelta(minutes=15))
    assert Notification.objects.filter(case_id=case_id, recipient=place.duty_chief, channel="voice").exists()
    # Handling starts a new stage: not overdue any more; closing stops every step.
    apply_transition(
        case_id=case_id, action="handle", actor=place.property_handler, photos=[PhotoUpload(jpeg)]
    )
    case.refresh_from_db()
    assert not case.overdue
    assert case.ever_overdue
    apply_transition(case_id=case_id, action="verify", actor=place.grid_worker, params={"passed": True})
    apply_transition(case_id=case_id, action="close", actor=place.dispatcher, params={"evaluation": "good"})
    assert not CaseEscalation.objects.filter(case_id=case_id, state="waiting").exists()


def test_missing_addresses_are_recorded_as_failed_not_dropped(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    place.property_handler.phone = ""
    place.property_handler.save(update_fields=["phone"])
    case_id = smoke_alarm(place)  # its first steps fire as it is created
    failed = Notification.objects.get(case_id=case_id, channel="sms")
    assert (failed.status, failed.last_error) == ("failed", "No address for this channel.")


def test_suspended_cases_are_not_chased(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    case_id = smoke_alarm(place)
    apply_transition(case_id=case_id, action="suspend", actor=place.dispatcher, note="等待")
    assert fire_due_escalations(case_id=case_id) == 0
    assert sweep_deadlines(now=timezone.now() + timedelta(days=1))["overdue"] == 0


class FlakyProvider:
    calls = 0

    def send(self, notification: Notification) -> str:
        FlakyProvider.calls += 1
        if FlakyProvider.calls < 3:
            raise ConnectionError("gateway timeout")
        return "ok"


def test_every_attempt_is_recorded_and_failures_retry_with_back_off(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    FlakyProvider.calls = 0
    case_id = smoke_alarm(place)  # its first steps fire as it is created
    sms = Notification.objects.get(case_id=case_id, channel="sms")
    with override_settings(NOTIFICATION_PROVIDERS={"sms": "tests.cases.test_escalation.FlakyProvider"}):
        assert notify.deliver(sms.pk) == "pending"
        sms.refresh_from_db()
        assert sms.attempts == 1
        assert "gateway timeout" in sms.last_error
        assert sms.next_attempt_at > timezone.now() + timedelta(seconds=25)
        # The sweep requeues only due ones; delivering directly retries.
        assert notify.deliver(sms.pk) == "pending"
        assert notify.deliver(sms.pk) == "sent"
        assert notify.deliver(sms.pk) == ""  # sent already: nothing happens
    attempts = NotificationAttempt.objects.filter(notification=sms).order_by("id")
    assert [a.ok for a in attempts] == [False, False, True]
    assert attempts[0].provider == "tests.cases.test_escalation.FlakyProvider"


def test_a_provider_that_always_fails_gives_up_after_max_attempts(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    FlakyProvider.calls = -100
    case_id = smoke_alarm(place)  # its first steps fire as it is created
    sms = Notification.objects.get(case_id=case_id, channel="sms")
    with override_settings(NOTIFICATION_PROVIDERS={"sms": "tests.cases.test_escalation.FlakyProvider"}):
        statuses = [notify.deliver(sms.pk) for _ in range(6)]
    assert statuses == ["pending"] * 4 + ["failed", ""]
    assert NotificationAttempt.objects.filter(notification=sms).count() == 5


def test_logging_is_the_default_provider(catalogue, place, caplog) -> None:  # type: ignore[no-untyped-def]
    case_id = smoke_alarm(place)  # its first steps fire as it is created
    sms = Notification.objects.get(case_id=case_id, channel="sms")
    with caplog.at_level("INFO", logger="cases.notify"):
        assert notify.deliver(sms.pk) == "sent"
    assert "13800000006" in caplog.text
    assert sms.attempt_log.get().provider == "cases.notify.LoggingProvider"


@pytest.mark.parametrize(
    "body", [b'{"errcode": 0, "errmsg": "ok"}', b'{"errcode": 310000, "errmsg": "bad sign"}']
)
def test_the_webhook_provider_posts_a_robot_message(catalogue, place, body) -> None:  # type: ignore[no-untyped-def]
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[dict] = []

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = HTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        case = create_case(source="manual", category_code="exposed-garbage", lat=place.compound.centre_lat,
                           lng=place.compound.centre_lng)  # fmt: skip
        notification = Notification.objects.create(
            case=case, channel="webhook", address=f"http://127.0.0.1:{server.server_port}/robot",
            subject="案件 #1", body="请处理", idempotency_key="test-webhook",
        )  # fmt: skip
        with override_settings(NOTIFICATION_PROVIDERS={"webhook": "cases.notify.WebhookProvider"}):
            status = notify.deliver(notification.pk)
    finally:
        server.shutdown()
    assert received == [{"msgtype": "text", "text": {"content": "案件 #1\n请处理"}}]
    assert status == ("sent" if b'errcode": 0' in body else "pending")


@pytest.mark.district("Celery tasks on the Redis broker (standalone runs them inline)")
@pytest.mark.django_db(transaction=True)
def test_notifications_sent_together_go_by_full_tasks_and_the_rest_at_the_end(  # type: ignore[no-untyped-def]
    catalogue, place, settings, monkeypatch
) -> None:
    """Each case commits on its own (as in the alarm task): its notifications wait in the block until a
    task is full, and the rest go when the block ends. Committed after the block: sent at once."""
    monkeypatch.setattr(escalation, "NOTIFICATIONS_PER_TASK", 5)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    start = before = broker.llen("notify")
    try:
        with alarm_cases_together():
            ids = [smoke_alarm(place, key=f"alarm:together-{n}") for n in range(3)]
            inside = queued_ids(broker, "notify", before)
        pending = sorted(
            Notification.objects.filter(case_id__in=ids, status="pending").values_list("pk", flat=True)
        )
        assert len(pending) == 9  # 3 a case: the property company (in-app, SMS), the grid worker
        assert inside == [pending[:5]]
        assert queued_ids(broker, "notify", before) == [pending[5:], pending[:5]]  # newest first

        before = broker.llen("notify")
        with transaction.atomic():
            with alarm_cases_together():
                outer = smoke_alarm(place, key="alarm:outer")
            assert broker.llen("notify") == before  # not committed yet
        pending = sorted(
            Notification.objects.filter(case_id=outer, status="pending").values_list("pk", flat=True)
        )
        assert len(pending) == 3
        assert queued_ids(broker, "notify", before) == [pending]
    finally:
        while broker.llen("notify") > start:
            broker.lpop("notify")
