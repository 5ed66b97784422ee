"""The workflow as a table: for each action, the statuses it starts from, the status it leads to and
who may apply it; which time limit runs in which status; the roles and their labels."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User

from ..models import Case, Stage

S = Case.Status
Role = User.Role


class NonStaff(models.TextChoices):
    """Who acts on a case without a staff account (User.Role are the staff roles)."""

    SYSTEM = "system", _("System")
    RESIDENT = "resident", _("Resident")


ROLES: tuple[str, ...] = (*Role.values, *NonStaff.values)
ROLE_LABELS: dict[str, Any] = {**dict(Role.choices), **dict(NonStaff.choices)}
# Roles that act on a case as its handler: they must be its assignee or in its department.
FIELD_ROLES = frozenset({Role.GRID_WORKER, Role.HANDLER})

RESTORE = "<status before suspension>"
SAME = None


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # SAME (None): the status does not change; RESTORE: back to the status before suspend
    roles: frozenset[str]
    event: str  # realtime event "case.<event>"
    label: Promise
    fail_target: str | None = None  # verify with passed=false (rework)


def _t(
    action: str,
    sources: Sequence[str],
    target: str | None,
    roles: Sequence[str],
    event: str,
    label: Promise,
    fail_target: str | None = None,
) -> tuple[str, Transition]:
    return action, Transition(action, frozenset(sources), target, frozenset(roles), event, label, fail_target)


# action: (from states, to state, who may, realtime event, label). The table the tests check row by row.
TRANSITIONS: dict[str, Transition] = dict(
    [
        _t("file", [S.DISCOVERED], S.FILED, [Role.DISPATCHER, Role.ADMIN, NonStaff.SYSTEM],
           "filed", pgettext_lazy("case action", "File")),
        _t("reject", [S.DISCOVERED, S.FILED], S.REJECTED, [Role.DISPATCHER, Role.ADMIN, NonStaff.SYSTEM],
           "rejected", pgettext_lazy("case action", "Reject")),
        _t("merge", [S.DISCOVERED, S.FILED], S.MERGED, [Role.DISPATCHER, Role.ADMIN, NonStaff.SYSTEM],
           "merged", pgettext_lazy("case action", "Merge")),
        _t("dispatch", [S.FILED, S.DISPATCHED], S.DISPATCHED, [Role.DISPATCHER, Role.ADMIN, NonStaff.SYSTEM],
           "dispatched", pgettext_lazy("case action", "Dispatch")),
        _t("return", [S.DISPATCHED], S.FILED, [Role.GRID_WORKER, Role.HANDLER],
           "returned", pgettext_lazy("case action", "Return")),
        _t("accept", [S.DISPATCHED], S.IN_PROGRESS, [Role.GRID_WORKER, Role.HANDLER],
           "accepted", pgettext_lazy("case action", "Accept")),
        _t("handle", [S.IN_PROGRESS], S.HANDLED, [Role.GRID_WORKER, Role.HANDLER],
           "handled", pgettext_lazy("case action", "Handle")),
        _t("verify", [S.HANDLED], S.VERIFIED, [Role.DISPATCHER, Role.GRID_WORKER, Role.ADMIN],
           "verified", pgettext_lazy("case action", "Verify"), fail_target=S.DISPATCHED),
        _t("close", [S.VERIFIED], S.CLOSED, [Role.DISPATCHER, Role.ADMIN, NonStaff.SYSTEM],
           "closed", pgettext_lazy("case action", "Close")),
        _t("suspend", [S.FILED, S.DISPATCHED, S.IN_PROGRESS], S.SUSPENDED, [Role.DISPATCHER, Role.ADMIN],
           "suspended", pgettext_lazy("case action", "Suspend")),
        _t("resume", [S.SUSPENDED], RESTORE, [Role.DISPATCHER, Role.ADMIN],
           "resumed", pgettext_lazy("case action", "Resume")),
        _t("request_extension", [S.DISPATCHED, S.IN_PROGRESS], SAME, [Role.GRID_WORKER, Role.HANDLER],
           "extension_requested", pgettext_lazy("case action", "Request extension")),
        _t("approve_extension", [S.DISPATCHED, S.IN_PROGRESS], SAME, [Role.DISPATCHER, Role.ADMIN],
           "extension_approved", pgettext_lazy("case action", "Approve extension")),
        _t("deny_extension", [S.DISPATCHED, S.IN_PROGRESS], SAME, [Role.DISPATCHER, Role.ADMIN],
           "extension_denied", pgettext_lazy("case action", "Deny extension")),
        _t("reopen", [S.CLOSED], S.DISPATCHED, [Role.DISPATCHER, Role.ADMIN, NonStaff.RESIDENT],
           "reopened", pgettext_lazy("case action", "Reopen")),
        _t("rate", [S.CLOSED], SAME, [Role.DISPATCHER, NonStaff.RESIDENT],
           "rated", pgettext_lazy("case action", "Rate")),
        _t("mark_overdue", S.TIMED, SAME, [NonStaff.SYSTEM],
           "overdue", pgettext_lazy("case action", "Mark overdue")),
        _t("escalate", S.ESCALATING, SAME, [NonStaff.SYSTEM],
           "escalated", pgettext_lazy("case action", "Escalate")),
    ]
)  # fmt: skip

# Which time limit runs in which status; statuses not listed have no running clock.
STAGE_OF_STATUS: dict[str, str] = {
    S.DISCOVERED: Stage.FILE,
    S.FILED: Stage.DISPATCH,
    S.DISPATCHED: Stage.HANDLE,
    S.IN_PROGRESS: Stage.HANDLE,
    S.HANDLED: Stage.VERIFY,
}
STATUS_LABELS: dict[str, Any] = dict(S.choices)
REWORK_NEEDS_NOTE = _("Say what is still wrong.")
# The actions that need a note, and what they say without one.
NOTE_REQUIRED = {
    "return": _("Say why the case is returned."),
    "suspend": _("Say why the case is suspended."),
    "request_extension": _("Say why more time is needed."),
}
