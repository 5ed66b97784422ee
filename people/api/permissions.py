"""Who may call the people API beyond being staff (accounts.api.permissions.StaffMember)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from accounts.api.permissions import StaffMember
from accounts.models import User


def _is_admin(user: Any) -> bool:
    return bool(user.is_superuser or getattr(user, "role", None) == User.Role.ADMIN)


class AdministratorOnly(StaffMember):
    """The personal-data access log names who read whose data: administrators only."""

    message = _("Only administrators read the personal data access log.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and _is_admin(request.user)


class VisitRecorder(StaffMember):
    """Visits are recorded by grid workers (and administrators); everybody on staff reads them."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS:
            return True
        if getattr(request.user, "role", None) == User.Role.GRID_WORKER or _is_admin(request.user):
            return True
        self.message = _("Only grid workers record visits.")
        return False
