"""Rankings of communities, grids, departments and workers, and the overdue list. Pure functions over
querysets; each row carries the code that filters the case list behind it."""

from typing import Any

from django.db.models import Count, Q, QuerySet

from cases.models import Case

from .kpis import NOT_DUE_STATUSES, overdue_now, ratio, within
from .periods import Period

# dimension: (the field grouped by, its code, its display name)
DIMENSIONS = {
    "community": ("community", "community__code", "community__name"),
    "grid": ("grid", "grid__code", "grid__name"),
    "department": ("department", "department__code", "department__name"),
    "worker": ("assignee", "assignee__username", "assignee__first_name"),
}
OVERDUE_LIST_LIMIT = 100


def ranking(cases: QuerySet[Case], period: Period, dimension: str) -> list[dict[str, Any]]:
    """Per community, grid, department or worker: reported, closed, close and on-time close rates (of the
    cases due, as in kpis.closing but without the suspension correction) and overdue now; best first."""
    field, code, name = DIMENSIONS[dimension]
    due = within("filed_at", period) & ~Q(status__in=NOT_DUE_STATUSES)
    closed_by_end = Q(closed_at__isnull=False, closed_at__lt=period.end)
    # Two reads, each on its own indexes: the period's cases (created, closed or filed in it), and the
    # cases overdue now.
    in_period = (
        cases.filter(**{f"{field}__isnull": False})
        .filter(within("created_at", period) | within("closed_at", period) | within("filed_at", period))
        .values(field, code, name)
        .annotate(
            reported=Count("id", filter=within("created_at", period)),
            closed=Count("id", filter=within("closed_at", period)),
            due=Count("id", filter=due),
            due_closed=Count("id", filter=due & closed_by_end),
            due_closed_on_time=Count("id", filter=due & closed_by_end & Q(ever_overdue=False)),
        )
    )
    overdue = {
        row[field]: row
        for row in overdue_now(cases.filter(**{f"{field}__isnull": False}))
        .values(field, code, name)
        .annotate(overdue=Count("id"))
    }
    empty = {"reported": 0, "closed": 0, "due": 0, "due_closed": 0, "due_closed_on_time": 0}
    rows = {row[field]: {**row, "overdue": 0} for row in in_period}
    for key, row in overdue.items():
        rows.setdefault(key, {**row, **empty})["overdue"] = row["overdue"]
    result = [
        {
            "id": key,
            "code": row[code],
            "name": row[name] or row[code],
            "reported": row["reported"],
            "closed": row["closed"],
            "due": row["due"],
            "close_rate": ratio(row["due_closed"], row["due"]),
            "on_time_close_rate": ratio(row["due_closed_on_time"], row["due"]),
            "overdue": row["overdue"],
        }
        for key, row in rows.items()
    ]
    # Best first: highest on-time close rate, then fewest overdue, then most closed.
    result.sort(key=lambda r: (-(r["on_time_close_rate"] or 0), r["overdue"], -r["closed"], r["code"]))
    return result


def overdue_list(cases: QuerySet[Case], limit: int = OVERDUE_LIST_LIMIT) -> list[dict[str, Any]]:
    """The overdue cases, the longest overdue first."""
    rows = overdue_now(cases).order_by("deadline", "id")[:limit]
    return [
        dict(row)
        for row in rows.values(
            "id",
            "title",
            "status",
            "deadline",
            "category__name",
            "grid__name",
            "department__name",
            "assignee__username",
        )
    ]
