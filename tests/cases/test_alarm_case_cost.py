"""What opening an alarm's case costs, and the cached catalogue it reads (categories and escalation
policies): an admin's change is seen by the next case."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import catalogue as catalogue_cache
from cases.models import Case, CaseEscalation, CaseEvent, Category, DispatchRule, EscalationPolicy
from cases.services import create_case
from command_center import caching
from grids.models import DutyShift
from tests.cases.test_alarm_cases import alarm as alarm_case

# Opening one alarm's case (smoke: filed and dispatched to the compound's property company, escalation
# steps copied, its two steps due at once fired and their notifications written) took 42 queries, and
# 10 more a step after commit; it takes 13 now, savepoints included. The bound leaves a little room.
MAX_QUERIES_PER_ALARM_CASE = 15


def alarm(place, key: str = "alarm:1", **overrides) -> int:  # type: ignore[no-untyped-def]
    return alarm_case(place, source_key=key, **overrides)


def test_opening_an_alarm_case_takes_few_queries(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    alarm(place, key="alarm:warm-up")  # the catalogue and calendar caches are filled once per process
    with CaptureQueriesContext(connection) as queries:
        case_id = alarm(place, key="alarm:measured")
    assert len(queries) <= MAX_QUERIES_PER_ALARM_CASE, "\n".join(q["sql"][:120] for q in queries)
    case = Case.objects.get(pk=case_id)
    assert (case.status, case.version, case.department) == ("dispatched", 5, place.property_company)
    assert list(case.events.order_by("pk").values_list("action", flat=True)) == [
        "create", "file", "dispatch", "escalate", "escalate",
    ]  # fmt: skip
    assert case.escalations.count() == 4
    assert case.notifications.count() == 3  # the property company's handler (in-app, SMS), the grid worker


def test_a_new_case_is_written_as_the_transitions_left_it(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    """The case goes in by one INSERT after filing, dispatching and firing its steps due at once in
    memory: its row, events and escalation steps are what apply_transition would have written."""
    case = Case.objects.get(pk=alarm(place))
    events = list(case.events.order_by("pk"))
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("create", "", "discovered"),
        ("file", "discovered", "filed"),
        ("dispatch", "filed", "dispatched"),
        ("escalate", "dispatched", "dispatched"),
        ("escalate", "dispatched", "dispatched"),
    ]
    assert all(e.at == case.created_at for e in events)
    assert events[2].data == {
        "rule": "kind:property",
        "department": place.property_company.code,
        "assignee": None,
    }
    assert case.filed_at == case.dispatched_at == case.created_at
    assert case.stage_started_at == case.created_at
    assert case.file_deadline is not None
    assert case.dispatch_deadline is not None
    assert case.deadline == case.handle_deadline
    assert case.escalation_policy.code == "fire-smoke"
    steps = list(case.escalations.order_by("position"))
    assert [(s.position, s.state) for s in steps] == [(n, CaseEscalation.State.WAITING) for n in (1, 2, 3, 4)]
    # Steps 1 and 2 wait 0 after the start: fired at once, and due again after the policy's repeat time.
    repeat = timedelta(minutes=case.escalation_policy.repeat_every_minutes)
    assert [(s.fire_count, s.last_fired_at, s.due_at) for s in steps] == [
        (1, case.created_at, case.created_at + repeat),
        (1, case.created_at, case.created_at + repeat),
        (0, None, None),
        (0, None, None),
    ]
    handler = place.property_handler
    assert events[3].data == {
        "step": 1, "target": "department", "channels": ["in_app", "sms"], "recipients": [handler.username],
        "recipient_names": [str(handler)], "notifications": 2, "fire": 1,
    }  # fmt: skip
    sent = list(case.notifications.filter(escalation=steps[0]).order_by("channel"))
    assert [(n.channel, n.recipient, n.address, n.idempotency_key, n.status) for n in sent] == [
        ("in_app", handler, f"user.{handler.pk}", f"esc:{steps[0].pk}:1:in_app:{handler.pk}", "pending"),
        ("sms", handler, handler.phone, f"esc:{steps[0].pk}:1:sms:{handler.pk}", "pending"),
    ]
    assert all(f"#{case.pk} " in n.subject for n in sent)  # written once the case had its id


def test_a_changed_category_is_seen_by_the_next_case(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    first = Case.objects.get(pk=alarm(place, key="alarm:a"))
    assert first.status == Case.Status.DISPATCHED
    smoke = Category.objects.get(code="fire-smoke")
    smoke.auto_dispatch = False  # as the admin's change form saves it
    smoke.save()
    second = Case.objects.get(pk=alarm(place, key="alarm:b"))
    assert second.status == Case.Status.FILED
    smoke.enabled = False
    smoke.save()
    with pytest.raises(Exception, match="Unknown or disabled case category"):
        alarm(place, key="alarm:c")


def test_changed_policies_and_rules_are_seen_by_the_next_case(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    assert Case.objects.get(pk=alarm(place, key="alarm:a")).escalation_policy.code == "fire-smoke"
    policy = EscalationPolicy.objects.get(code="fire-smoke")
    policy.enabled = False
    policy.save()
    second = Case.objects.get(pk=alarm(place, key="alarm:b"))
    assert second.escalation_policy.code != "fire-smoke"
    rule = DispatchRule.objects.create(
        category=Category.objects.get(code="fire-smoke"), department=place.fire
    )
    assert Case.objects.get(pk=alarm(place, key="alarm:c")).department == place.fire
    rule.enabled = False
    rule.save()
    assert Case.objects.get(pk=alarm(place, key="alarm:d")).department == place.property_company


def test_other_processes_see_a_change_within_the_ttl(catalogue, place, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A change made elsewhere sends no signal here: the cache is read again after CATALOGUE_TTL."""
    now = [1000.0]
    monkeypatch.setattr(caching, "time", SimpleNamespace(monotonic=lambda: now[0]))
    catalogue_cache.catalogue_cache.clear()
    alarm(place, key="alarm:a")
    Category.objects.filter(code="fire-smoke").update(auto_dispatch=False)  # no signal
    now[0] += catalogue_cache.CATALOGUE_TTL / 2
    assert Case.objects.get(pk=alarm(place, key="alarm:b")).status == Case.Status.DISPATCHED
    now[0] += catalogue_cache.CATALOGUE_TTL
    assert Case.objects.get(pk=alarm(place, key="alarm:c")).status == Case.Status.FILED


def test_a_failed_automatic_dispatch_leaves_the_case_filed(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    """Nobody to dispatch to: the in-memory dispatch is undone and the case waits, filed, with two events."""
    Category.objects.filter(code="fire-smoke").update(
        default_department_kind="", fallback_department_kind="", assign_grid_worker=False
    )
    Category.objects.filter(code="public-safety").update(
        default_department_kind="", fallback_department_kind=""
    )
    catalogue_cache.catalogue_cache.clear()
    place.street_office.delete()
    place.compound.grid.workers.clear()
    DutyShift.objects.all().delete()
    case = create_case(
        source=Case.Source.MANUAL,
        category_code="fire-smoke",
        lat=place.compound.centre_lat,
        lng=place.compound.centre_lng,
        compound_id=place.compound.pk,
        locate=False,
        emergency=True,
    )
    assert case.status == Case.Status.FILED
    # Filed, then its two steps due at once fired (to nobody: no department, no grid worker on duty).
    assert (case.department_id, case.assignee_id, case.version) == (None, None, 4)
    assert list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("action", flat=True)) == [
        "create", "file", "escalate", "escalate",
    ]  # fmt: skip
    assert case.deadline == case.dispatch_deadline
    assert timezone.now() - case.created_at < timedelta(minutes=1)
