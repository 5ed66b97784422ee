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
from grids.scoping import ScopePaths, scope_queryset

EVENT_SCOPE = ScopePaths(grid="case__grid", department="case__department", assignee="case__assignee")
FILTERS = ("community", "grid", "department", "worker", "category", "source", "severity")


@dataclass(frozen=True)
class Counted:
    """The cases a KPI counts and their workflow events."""

    cases: QuerySet[Case]
    events: QuerySet[CaseEvent]


def filter_q(filters: Mapping[str, str], prefix: str = "") -> Q:
    """The filters as a condition on cases, or on rows reaching a case through `prefix` ("case__")."""
    conditions = {
        "community": "community__code",
        "grid": "grid__code",
        "department": "department__code",
        "worker": "assignee__username",
        "source": "source",
        "severity": "severity",
    }
    q = Q(**{f"{prefix}drill": False})
    for name, lookup in conditions.items():
        if filters.get(name):
            q &= Q(**{f"{prefix}{lookup}": filters[name]})
    if filters.get("category"):
        code = filters["category"]
        q &= Q(**{f"{prefix}category__code": code}) | Q(**{f"{prefix}category__parent__code": code})
    return q


def _counted(
    cases: QuerySet[Case], events: QuerySet[CaseEvent], filters: Mapping[str, str] | None
) -> Counted:
    # Events are joined to their case (not `case IN (SELECT …)`): the period's events come from the index
    # on their time, and only their cases are read.
    return Counted(
        cases=cases.filter(filter_q(filters or {})),
        events=events.filter(filter_q(filters or {}, prefix="case__")),
    )


def counted_cases(user: User, filters: Mapping[str, str] | None = None) -> Counted:
    """What `user` may see (grids/scoping.py)."""
    events = scope_queryset(CaseEvent.objects.all(), user, EVENT_SCOPE)
    return _counted(cases_for(user), events, filters)


def district_cases(filters: Mapping[str, str] | None = None) -> Counted:
    """The whole district: the weekly report, which the system writes for every official."""
    return _counted(Case.objects.all(), CaseEvent.objects.all(), filters)
