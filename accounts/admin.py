from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .auth import unlock_username
from .forms import LockoutAdminAuthenticationForm
from .models import Department, PersonalDataAccess, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["code", "name", "kind", "phone"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "first_name", "role", "department", "is_active"]
    list_filter = ["role", "department", "is_active"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Command center"), {"fields": ("role", "department", "phone")}))  # type: ignore[misc]
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Command center"), {"fields": ("role", "department")}))
    actions = ["unlock_login"]

    @admin.action(description=_("Unlock login (forget failed logins)"), permissions=["change"])
    def unlock_login(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset)
        note = gettext("Unlocked login: failed logins forgotten at every address.")
        for user in users:
            unlock_username(user.get_username())
            self.log_change(request, user, note)  # the audit row: the user's history shows who and when
        self.message_user(
            request,
            ngettext(
                "Unlocked %(count)d user: failed logins forgotten at every address.",
                "Unlocked %(count)d users: failed logins forgotten at every address.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin[PersonalDataAccess]):
    """The access log: read only, and only for administrators (it names who read whose data)."""

    list_display = ["occurred_at", "user", "field", "object_type", "object_label", "reason"]
    list_filter = ["field", "object_type"]
    search_fields = ["user__username", "object_label", "reason"]
    date_hierarchy = "occurred_at"

    def _admin(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or getattr(user, "role", None) == User.Role.ADMIN)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._admin(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


admin.site.login_form = LockoutAdminAuthenticationForm
admin.site.site_header = _("District Command Center administration")
admin.site.site_title = _("District Command Center")
admin.site.index_title = _("Registry and settings")
