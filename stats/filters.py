"""What the statistics count: the cases a user may see, drills left out, narrowed by the page's filters.

Filters are given by code (community, grid, department, category), username (worker) or value (source,
severity); a category code also takes its 小类. An unknown code matches nothing rather than everything.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import User
from cases.models import Case, CaseEvent
from cases.selectors import cases_for

FILTERS = ("community", "grid", "department", "worker", "category", "source", "severity")


@dataclass(frozen=True)
class Counted:
    """The cases a KPI counts and their workflow events."""

    cases: QuerySet[Case]
    events: QuerySet[CaseEvent]


def filter_q(filters: Mapping[str, str]) -> Q:
    q = Q()
    if filters.get("community"):
        q &= Q(community__code=filters["community"])
    if filters.get("grid"):
        q &= Q(grid__code=filters["grid"])
    if filters.get("department"):
        q &= Q(department__code=filters["department"])
    if filters.get("worker"):
        q &= Q(assignee__username=filters["worker"])
    if filters.get("category"):
        code = filters["category"]
        q &= Q(category__code=code) | Q(category__parent__code=code)
    if filters.get("source"):
        q &= Q(source=filters["source"])
    if filters.get("severity"):
        q &= Q(severity=filters["severity"])
    return q


def _counted(cases: QuerySet[Case], filters: Mapping[str, str] | None) -> Counted:
    cases = cases.filter(drill=False).filter(filter_q(filters or {}))
    return Counted(cases=cases, events=CaseEvent.objects.filter(case__in=cases.values("pk")))


def counted_cases(user: User, filters: Mapping[str, str] | None = None) -> Counted:
    """What `user` may see (grids/scoping.py)."""
    return _counted(cases_for(user), filters)


def district_cases(filters: Mapping[str, str] | None = None) -> Counted:
    """The whole district: the weekly report, which the system writes for every official."""
    return _counted(Case.objects.all(), filters)
