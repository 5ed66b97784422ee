"""Who sees what: the one place that scopes querysets by the caller's role.

Every list, detail, export and socket goes through `scope_queryset` (DRF object permissions do not
filter lists). A model says how it reaches a grid, a department and an assignee with
`ScopePaths`; the rules per role live only here:
- dispatcher, admin, superuser: the whole district;
- street official: everything in their streets;
- grid worker: what lies in their grids, plus what is assigned to them;
- department handler: what is dispatched to their department, plus what is assigned to them;
- gate guard: what they reported, plus what is assigned to them.
"""

from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from accounts.models import User

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class ScopePaths:
    grid: str | None  # lookup path to grids.Grid; "" when the model is Grid itself; None: not located
    department: str | None = None  # lookup path to accounts.Department
    assignee: str | None = None  # lookup path to the assigned user
    reporter: str | None = None  # lookup path to the user who reported it


def _join(path: str, lookup: str) -> str:
    return f"{path}__{lookup}" if path else lookup


def user_grid_ids(user: User) -> list[int]:
    return list(user.grids.values_list("id", flat=True))


def user_street_ids(user: User) -> list[int]:
    return list(user.official_streets.values_list("id", flat=True))


def user_guarded_grid_ids(user: User) -> list[int]:
    """The grids of the compounds a gate guard keeps."""
    return list(user.guarded_compounds.values_list("grid_id", flat=True).distinct())


def scope_filter(user: User | None, paths: ScopePaths) -> Q | None:
    """The Q that limits rows to the user's scope; None means everything; Q(pk__in=[]) nothing."""
    nothing = Q(pk__in=[])
    if user is None or not user.is_authenticated or not user.is_active:
        return nothing
    if user.sees_whole_district:
        return None
    grid_path = paths.grid
    mine = Q(**{paths.assignee: user.pk}) if paths.assignee else nothing
    if user.role == User.Role.OFFICIAL:
        if grid_path is None:
            return None
        return Q(**{_join(grid_path, "community__street__in"): user_street_ids(user)})
    if user.role == User.Role.GRID_WORKER:
        if grid_path is None:
            return mine
        return Q(**{_join(grid_path, "pk__in" if grid_path == "" else "in"): user_grid_ids(user)}) | mine
    if user.role == User.Role.HANDLER:
        if paths.department is None or user.department_id is None:
            return mine
        return Q(**{paths.department: user.department_id}) | mine
    if user.role == User.Role.GATE_GUARD:
        return Q(**{paths.reporter: user.pk}) | mine if paths.reporter else mine
    return nothing


def scope_queryset(queryset: QuerySet[M], user: User | None, paths: ScopePaths) -> QuerySet[M]:
    condition = scope_filter(user, paths)
    return queryset if condition is None else queryset.filter(condition)
