from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Department, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "phone"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "role", "department", "is_active"]
    list_filter = ["role", "department", "is_active"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Command center"), {"fields": ("role", "department", "phone")}))  # type: ignore[misc]
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Command center"), {"fields": ("role", "department")}))


admin.site.site_header = _("District Command Center administration")
admin.site.site_title = _("District Command Center")
admin.site.index_title = _("Registry and settings")
