"""Who may call the API at all. What each role sees is scoped in grids/scoping.py; what each role may do
to a case is the workflow's table (cases/workflow/table.py); this is the rule before both."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.request import Request

from accounts.models import User


class StaffMember(IsAuthenticated):
    """Signed in, and a street official only reads: every write of theirs answers 403."""

    message = _("A street official may read here, not change anything.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        user = request.user
        official = getattr(user, "role", None) == User.Role.OFFICIAL and not user.is_superuser
        return request.method in SAFE_METHODS or not official
