"""Every (state, action, role): allowed ones write exactly one event; the rest answer 409/403, change nothing.

The expected table below is written out from the issue, independently of cases.workflow.TRANSITIONS.
"""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from cases import workflow
from cases.models import Case, CaseEscalation, CaseEvent
from tests.cases.factories import CaseFactory

STATES = ["discovered", "filed", "dispatched", "in_progress", "handled", "verified", "closed", "rejected",
          "merged", "suspended"]  # fmt: skip
ROLES = ["dispatcher", "grid_worker", "handler", "official", "admin", "system", "resident"]
COMMAND = {"dispatcher", "admin", "system"}
FIELD = {"grid_worker", "handler"}
SUPERVISORS = {"dispatcher", "admin"}  # a street official reads only

# action: (from states, roles, to state; None = unchanged)
EXPECTED = {
    "file": ({"discovered"}, COMMAND, "filed"),
    "reject": ({"discovered", "filed"}, COMMAND, "rejected"),
    "merge": ({"discovered", "filed"}, COMMAND, "merged"),
    "dispatch": ({"filed", "dispatched"}, COMMAND, "dispatched"),
    "return": ({"dispatched"}, FIELD, "filed"),
    "accept": ({"dispatched"}, FIELD, "in_progress"),
    "handle": ({"in_progress"}, FIELD, "handled"),
    "verify": ({"handled"}, {"dispatcher", "grid_worker", "admin"}, "verified"),
    "close": ({"verified"}, COMMAND, "closed"),
    "suspend": ({"filed", "dispatched", "in_progress"}, {"dispatcher", "admin"}, "suspended"),
    "resume": ({"suspended"}, {"dispatcher", "admin"}, "dispatched"),  # back to the status before
    "request_extension": ({"dispatched", "in_progress"}, FIELD, None),
    "approve_extension": ({"dispatched", "in_progress"}, SUPERVISORS, None),
    "deny_extension": ({"dispatched", "in_progress"}, SUPERVISORS, None),
    "reopen": ({"closed"}, {"dispatcher", "admin", "resident"}, "dispatched"),
    "rate": ({"closed"}, {"dispatcher", "resident"}, None),
    "mark_overdue": ({"discovered", "filed", "dispatched", "in_progress", "handled"}, {"system"}, None),
    "escalate": ({"discovered", "filed", "dispatched", "in_progress", "handled", "verified"}, {"system"}, None),
}  # fmt: skip


def test_the_table_names_every_action_of_the_workflow() -> None:
    assert set(EXPECTED) == set(workflow.TRANSITIONS)


def _params(action: str, place, merge_target: Case) -> dict:  # type: ignore[no-untyped-def]
    return {
        "reject": {"reason": "false_alarm"},
        "merge": {"into": merge_target.pk},
        "dispatch": {"department": place.property_company.code, "assignee": place.grid_worker.username},
        "verify": {"passed": True},
        "close": {"evaluation": "good"},
        "request_extension": {"until": timezone.now() + timedelta(days=2)},
        "rate": {"stars": 4},
    }.get(action, {})


def _case_in(state: str, place) -> Case:  # type: ignore[no-untyped-def]
    """A case in `state`, assigned to the grid worker and the property company, handled by the property
    handler, overdue, with an extension request and a due escalation step: every action's precondition."""
    now = timezone.now()
    case = CaseFactory(
        compound=place.compound,
        status=state,
        status_before_suspend="dispatched" if state == "suspended" else "",
        department=place.property_company,
        assignee=place.grid_worker,
        handled_by=place.property_handler,
        deadline=now - timedelta(minutes=1),
        handle_deadline=now - timedelta(minutes=1),
        extension_until=now + timedelta(days=1),
    )
    CaseEscalation.objects.create(
        case=case, position=1, anchor="start", after_minutes=0, target="assignee", channels=["in_app"],
        until="closed", due_at=now - timedelta(seconds=1),
    )  # fmt: skip
    return case


def _actor(role: str, place):  # type: ignore[no-untyped-def]
    return {
        "dispatcher": place.dispatcher,
        "grid_worker": place.grid_worker,
        "handler": place.property_handler,
        "official": place.official,
        "admin": place.admin,
    }.get(role)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_state_and_role(action: str, place) -> None:  # type: ignore[no-untyped-def]
    sources, roles, target = EXPECTED[action]
    merge_target = CaseFactory(compound=place.compound, status="filed")
    mismatches = []
    for state in STATES:
        for role in ROLES:
            case = _case_in(state, place)
            before = model_to_dict(Case.objects.get(pk=case.pk))
            events_before = CaseEvent.objects.filter(case=case).count()
            actor = _actor(role, place)
            try:
                result = workflow.apply_transition(
                    case_id=case.pk,
                    action=action,
                    actor=actor,
                    role=None if actor else role,
                    note="理由",
                    params={**_params(action, place, merge_target), "step": case.escalations.get().pk},
                )
                outcome = 200
            except workflow.WorkflowError as error:
                outcome = error.status_code
                result = None
            expected = 200 if role in roles and state in sources else 403 if role not in roles else 409
            where = f"{action} from {state} as {role}"
            if outcome != expected:
                mismatches.append(f"{where}: got {outcome}, expected {expected}")
                continue
            events = list(CaseEvent.objects.filter(case=case).order_by("id"))
            if expected == 200:
                new = events[events_before:]
                to_state = target or state
                if len(new) != 1 or (new[0].action, new[0].from_status, new[0].to_status) != (
                    action,
                    state,
                    to_state,
                ):
                    mismatches.append(
                        f"{where}: events {[(e.action, e.from_status, e.to_status) for e in new]}"
                    )
                if new and new[0].actor_role != role:
                    mismatches.append(f"{where}: event role {new[0].actor_role}")
                stored = Case.objects.get(pk=case.pk)
                if stored.status != to_state or stored.version != before["version"] + 1:
                    mismatches.append(f"{where}: stored {stored.status} v{stored.version}")
                assert result is not None
                assert result.status == to_state
            else:
                after = model_to_dict(Case.objects.get(pk=case.pk))
                if len(events) != events_before or after != before:
                    mismatches.append(f"{where}: a refused action changed the case")
    assert not mismatches, "\n".join(mismatches)
