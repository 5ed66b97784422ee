"""Who may use the residents' staff API (mediation, call-backs)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request

from accounts.api.permissions import StaffMember
from accounts.models import User


class CommunityStaff(StaffMember):
    """Dispatchers, grid workers (community staff) and administrators; officials read; department handlers
    and gate guards do not."""

    message = _("Mediation is for the street's and the communities' staff.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            self.message = StaffMember.message  # signed out (401) or a street official's write
            return False
        user = request.user
        outside = {User.Role.HANDLER, User.Role.GATE_GUARD}
        return bool(user.is_superuser or getattr(user, "role", "") not in outside)
