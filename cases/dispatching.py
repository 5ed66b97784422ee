"""Dispatch rules: category × place → department, plus the grid's on-duty worker, with a fallback chain.

Department, first match wins:
1. the most specific enabled DispatchRule (category over its major category over any; then grid over
   community over anywhere);
2. the category's (or its major category's) default department;
3. its default, then fallback, department kind: "property" is the compound's property company, any other
   kind the first department of that kind;
4. when nobody was found at all: the street office.
Person, when the category says so (or no department was found): the grid's on-duty grid worker from the
roster, else a grid worker of the grid.
The dispatcher overrides all of this by naming a department or person.
"""

from dataclasses import dataclass
from datetime import datetime

from accounts.models import Department, User
from grids.models import DutyShift
from grids.selectors import on_duty

from . import db
from .models import Case, Category


@dataclass(frozen=True)
class DispatchTarget:
    department: Department | None
    assignee: User | None
    rule: str  # which step of the chain decided, for the event's details


def _categories(category: Category) -> list[Category]:
    return [category, category.parent] if category.parent_id and category.parent else [category]


def _rule_department(case: Case) -> Department | None:
    categories = _categories(case.category)
    category_ids = [c.pk for c in categories]
    # Fixed SQL (compiling the ORM query cost ten times running it), and the department read only when
    # a rule applies: most cases match none.
    rules = db.dispatch_rules(category_ids, case.grid_id, case.community_id)

    def score(rule: tuple[int, int | None, int | None, int | None, int]) -> tuple[int, int, int]:
        pk, category_id, grid_id, community_id, _department_id = rule
        category_score = 0 if category_id is None else len(categories) - category_ids.index(category_id)
        place_score = 2 if grid_id else 1 if community_id else 0
        return category_score, place_score, -pk

    best = max(rules, key=score, default=None)
    return Department.objects.get(pk=best[4]) if best else None


def _kind_department(case: Case, kind: str) -> Department | None:
    if not kind:
        return None
    if kind == Department.Kind.PROPERTY:
        compound = case.compound
        return compound.property_company if compound is not None else None
    return _first_department(kind)


def _first_department(kind: str) -> Department | None:
    return Department.objects.filter(kind=kind).order_by("code").first()


def _department(case: Case) -> tuple[Department | None, str]:
    department = _rule_department(case)
    if department is not None:
        return department, "rule"
    for category in _categories(case.category):
        if category.default_department_id:
            return category.default_department, "category"
    for category in _categories(case.category):
        for kind in (category.default_department_kind, category.fallback_department_kind):
            department = _kind_department(case, kind)
            if department is not None:
                return department, f"kind:{kind}"
    return None, ""


def grid_worker_for(case: Case, at: datetime) -> User | None:
    """The on-duty grid worker of the case's grid, else one of the grid's workers, else nobody."""
    if case.grid_id is None:
        return None
    roster = on_duty(duty=DutyShift.Duty.GRID_WORKER, grid_id=case.grid_id, at=at)
    worker = roster.filter(role=User.Role.GRID_WORKER).order_by("pk").first()
    if worker is not None:
        return worker
    return (
        User.objects.filter(grids=case.grid_id, is_active=True, role=User.Role.GRID_WORKER)
        .order_by("pk")
        .first()
    )


def resolve_dispatch(case: Case, *, at: datetime) -> DispatchTarget:
    department, rule = _department(case)
    assignee = None
    if case.category.assign_grid_worker or department is None:
        assignee = grid_worker_for(case, at)
    if department is None and assignee is None:
        department = _first_department(Department.Kind.STREET)
        rule = "street" if department else ""
    return DispatchTarget(department=department, assignee=assignee, rule=rule or "grid_worker")
