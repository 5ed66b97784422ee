"""category × place → department and the grid's on-duty worker, with the fallback chain."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import Department
from cases.dispatching import resolve_dispatch
from cases.models import Case, Category, DispatchRule
from grids.models import DutyShift
from tests.cases.factories import CaseFactory
from tests.factories import CompoundFactory, DepartmentFactory, GridFactory, UserFactory


def target(case: Case):  # type: ignore[no-untyped-def]
    return resolve_dispatch(case, at=timezone.now())


def test_property_kind_means_the_compounds_own_property_company(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    smoke = Category.objects.get(code="fire-smoke")
    case = CaseFactory(compound=place.compound, category=smoke)
    result = target(case)
    assert (result.department, result.assignee, result.rule) == (
        place.property_company,
        None,
        "kind:property",
    )
    # Another compound, another company.
    other = CompoundFactory()
    assert target(CaseFactory(compound=other, category=smoke)).department == other.property_company


def test_fallback_kind_when_the_first_kind_has_nobody(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    hydrant = Category.objects.get(code="hydrant-pressure")  # water, else fire
    case = CaseFactory(compound=place.compound, category=hydrant)
    assert target(case).department == place.water
    Department.objects.filter(pk=place.water.pk).update(kind=Department.Kind.OTHER)
    assert target(case).department == place.fire


def test_a_rule_beats_the_category_default_and_the_most_specific_rule_wins(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    garbage = Category.objects.get(code="exposed-garbage")
    case = CaseFactory(compound=place.compound, category=garbage)
    assert target(case).department == place.urban
    cleaners = DepartmentFactory(code="cleaners", kind=Department.Kind.OTHER)
    grid_team = DepartmentFactory(code="grid-team", kind=Department.Kind.OTHER)
    parent_team = DepartmentFactory(code="parent-team", kind=Department.Kind.OTHER)
    DispatchRule.objects.create(category=garbage.parent, department=parent_team)
    assert (target(case).department, target(case).rule) == (parent_team, "rule")
    DispatchRule.objects.create(category=garbage, community=place.community, department=cleaners)
    assert target(case).department == cleaners
    DispatchRule.objects.create(category=garbage, grid=place.grid, department=grid_team)
    assert target(case).department == grid_team
    DispatchRule.objects.filter(department=grid_team).update(enabled=False)
    assert target(case).department == cleaners
    # Elsewhere the community rule does not apply; the major-category rule does.
    elsewhere = CaseFactory(compound=CompoundFactory(), category=garbage)
    assert target(elsewhere).department == parent_team


def test_grid_worker_chain_roster_then_grid_then_nobody(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    parking = Category.objects.get(code="nonmotor-parking")  # property + the grid's worker
    case = CaseFactory(compound=place.compound, category=parking)
    assert (target(case).department, target(case).assignee) == (place.property_company, place.grid_worker)
    DutyShift.objects.filter(user=place.grid_worker).update(ends_at=timezone.now() - timedelta(minutes=1))
    # Nobody on duty: a grid worker of the grid (the first one).
    assert target(case).assignee == place.grid_worker
    on_duty = UserFactory(username="night", role="grid_worker")
    DutyShift.objects.create(
        user=on_duty, duty="grid_worker", grid=place.grid, starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    assert target(case).assignee == on_duty
    bare = CaseFactory(compound=CompoundFactory(grid=GridFactory()), category=parking)
    assert target(bare).assignee is None
    assert target(bare).department == bare.compound.property_company


def test_street_office_when_nobody_else(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    fault = Category.objects.get(code="device-fault")  # kind other, else street
    case = CaseFactory(compound=place.compound, category=fault)
    assert target(case).department == place.street_office


def test_the_dispatcher_overrides(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    from cases.workflow import apply_transition

    smoke = Category.objects.get(code="fire-smoke")
    case = CaseFactory(compound=place.compound, category=smoke, status="filed")
    done = apply_transition(
        case_id=case.pk, action="dispatch", actor=place.dispatcher, params={"department": place.fire.code}
    )
    assert (done.department, done.assignee) == (place.fire, None)
    assert done.events.last().data == {"department": "fire", "assignee": None}
