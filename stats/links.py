"""The list of cases behind a figure. The console opens one case (/console/?case=<id>) and takes no list
filters, so a figure links to the case list of the API (/api/v1/cases/?…, browsable), filtered as far as
its filters go: created between two days, status, overdue, place, department, assignee, category, source,
severity. Figures counted by another time (closed, handled in the period) link to the cases in that state."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from grids.models import Community, Grid

from .periods import Period

CASE_LIST = "/api/v1/cases/"
CONSOLE_CASE = "/console/?case={id}"
# figure: extra filters of the case list
BY_STATUS: dict[str, dict[str, str]] = {
    "closed": {"status": "closed"},
    "suspended": {"status": "suspended"},
    "overdue": {"overdue": "true"},
    "handled": {"status": "handled,verified,closed"},
    "dispatched": {"status": "dispatched,in_progress"},
    "filed": {"status": "filed,dispatched,in_progress,handled,verified,closed,suspended"},
}
# Figures that are about now, not about the period.
CURRENT = frozenset({"overdue"})


def list_filters(filters: Mapping[str, str]) -> dict[str, str]:
    """The page's filters (codes) as the case list's (ids for places, codes and usernames otherwise)."""
    params: dict[str, str] = {}
    if filters.get("community"):
        community = Community.objects.filter(code=filters["community"]).values_list("pk", flat=True).first()
        params["community"] = str(community or 0)
    if filters.get("grid"):
        grid = Grid.objects.filter(code=filters["grid"]).values_list("pk", flat=True).first()
        params["grid"] = str(grid or 0)
    for name, param in (("department", "department"), ("worker", "assignee"), ("category", "category")):
        if filters.get(name):
            params[param] = filters[name]
    for name in ("source", "severity"):
        if filters.get(name):
            params[name] = filters[name]
    return params


def figure_link(key: str, period: Period, base: Mapping[str, str]) -> str:
    params = dict(base)
    if key not in CURRENT:
        params["created_after"] = period.first.isoformat()
        params["created_before"] = period.last.isoformat()
    params.update(BY_STATUS.get(key, {}))
    return f"{CASE_LIST}?{urlencode(params)}"


def figure_links(keys: list[str], period: Period, filters: Mapping[str, str]) -> dict[str, str]:
    base = list_filters(filters)
    return {key: figure_link(key, period, base) for key in keys}


def ranking_link(dimension: str, row: Mapping[str, Any], period: Period, filters: Mapping[str, str]) -> str:
    params = list_filters(filters)
    param = {"community": "community", "grid": "grid", "department": "department", "worker": "assignee"}[
        dimension
    ]
    params[param] = str(row["id"] if dimension in ("community", "grid") else row["code"])
    params["created_after"] = period.first.isoformat()
    params["created_before"] = period.last.isoformat()
    return f"{CASE_LIST}?{urlencode(params)}"
