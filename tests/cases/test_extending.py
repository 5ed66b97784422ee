"""docs/extending.md, "Add a case category and its rule", followed once: the bicycle-parking category
(非机动车乱停放) shipped in the default catalogue, and a dispatch rule sending the cases of one grid to
the company that runs the street's shared bicycles."""

from django.utils import timezone

from accounts.models import Department
from cases.defaults import ensure_default_catalogue
from cases.dispatching import resolve_dispatch
from cases.models import Category, DispatchRule
from tests.cases.factories import CaseFactory
from tests.factories import CompoundFactory, DepartmentFactory


def test_the_new_category_is_in_every_new_installation(catalogue) -> None:  # type: ignore[no-untyped-def]
    bikes = Category.objects.get(code="bike-clutter")
    assert (bikes.parent.code, bikes.name, bikes.severity) == ("street-order", "非机动车乱停放", "minor")
    bikes.name = "非机动车乱停乱放"  # an admin's edit
    bikes.save()
    ensure_default_catalogue()
    assert Category.objects.get(code="bike-clutter").name == "非机动车乱停乱放"


def test_its_rule_sends_one_grids_cases_to_the_bicycle_company(catalogue, place) -> None:  # type: ignore[no-untyped-def]
    bikes = Category.objects.get(code="bike-clutter")
    company = DepartmentFactory(code="bike-operator", name="共享单车运维", kind=Department.Kind.OTHER)
    DispatchRule.objects.create(category=bikes, grid=place.grid, department=company)

    here = resolve_dispatch(CaseFactory(compound=place.compound, category=bikes), at=timezone.now())
    elsewhere = resolve_dispatch(CaseFactory(compound=CompoundFactory(), category=bikes), at=timezone.now())

    assert (here.department, here.rule) == (company, "rule")
    assert elsewhere.department == place.urban
