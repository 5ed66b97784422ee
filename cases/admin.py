from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    CalendarDay,
    CalendarYear,
    Case,
    CaseEscalation,
    CaseEvent,
    CasePhoto,
    Category,
    DispatchRule,
    EscalationPolicy,
    EscalationStep,
    Notification,
    NotificationAttempt,
    WorkCalendar,
)

# Django's admin classes are generic only in the type stubs (not subscriptable at run time).
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = [
        "code", "name", "parent", "kind", "severity", "default_department_kind", "clock_type", "file_limit",
        "dispatch_limit", "handle_limit", "verify_limit", "auto_file", "auto_dispatch", "enabled",
    ]  # fmt: skip
    list_filter = ["parent", "kind", "clock_type", "auto_file", "auto_dispatch", "enabled"]
    search_fields = ["code", "name", "name_en"]
    raw_id_fields = ["default_department"]
    fieldsets = (
        (
            None,
            {"fields": ("parent", "code", "name", "name_en", "kind", "severity", "enabled", "sort_order")},
        ),
        (
            _("Who handles it"),
            {
                "fields": (
                    "default_department",
                    "default_department_kind",
                    "fallback_department_kind",
                    "assign_grid_worker",
                    "auto_file",
                    "auto_dispatch",
                )
            },
        ),
        (
            _("Time limits (minutes for urgent and work-hour clocks, days for day clocks)"),
            {"fields": ("clock_type", "file_limit", "dispatch_limit", "handle_limit", "verify_limit")},
        ),
        (
            _("Closing conditions"),
            {"fields": ("evidence_required", "verify_sensor_normal_minutes", "merge_radius_m")},
        ),
    )


class CalendarYearInline(TabularInline):
    model = CalendarYear
    extra = 0
    fields = ["year", "checked", "source"]
    show_change_link = True


@admin.register(WorkCalendar)
class WorkCalendarAdmin(ModelAdmin):
    list_display = [
        "code",
        "name",
        "morning_start",
        "morning_end",
        "afternoon_start",
        "afternoon_end",
        "workweek",
    ]
    inlines = [CalendarYearInline]


class CalendarDayInline(TabularInline):
    model = CalendarDay
    extra = 1
    fields = ["date", "kind", "name"]


@admin.register(CalendarYear)
class CalendarYearAdmin(ModelAdmin):
    list_display = ["calendar", "year", "notice_check", "source"]
    list_filter = ["calendar", "checked"]
    inlines = [CalendarDayInline]

    @admin.display(description=_("check against the annual notice"), ordering="checked")
    def notice_check(self, obj: CalendarYear) -> str:
        if obj.checked:
            return format_html('<span style="color:#27ae60">✔ {}</span>', _("checked"))
        return format_html(
            '<strong style="color:#c0392b">⚠ {}</strong>',
            _("Check against the State Council's annual holiday notice"),
        )


class EscalationStepInline(TabularInline):
    model = EscalationStep
    extra = 1
    fields = ["position", "anchor", "after_minutes", "target", "channels", "until"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(ModelAdmin):
    list_display = ["code", "name", "category", "severity", "repeat_limit", "repeat_every_minutes", "enabled"]
    list_filter = ["enabled", "severity"]
    raw_id_fields = ["category"]
    inlines = [EscalationStepInline]


@admin.register(DispatchRule)
class DispatchRuleAdmin(ModelAdmin):
    list_display = ["__str__", "category", "community", "grid", "department", "enabled"]
    list_filter = ["enabled", "category"]
    raw_id_fields = ["category", "community", "grid", "department"]


class CaseEventInline(TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "at",
        "action",
        "from_status",
        "to_status",
        "actor",
        "actor_role",
        "note",
        "time_used_seconds",
        "overdue",
    )

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class CaseEscalationInline(TabularInline):
    model = CaseEscalation
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "position",
        "anchor",
        "after_minutes",
        "target",
        "channels",
        "until",
        "state",
        "due_at",
        "fire_count",
    )

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class CasePhotoInline(TabularInline):
    model = CasePhoto
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "file", "taken_at", "lat", "lng", "uploaded_by")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Case)
class CaseAdmin(ModelAdmin):
    """Read-only here: status changes go through the workflow (console, API), which audits them."""

    list_display = [
        "id",
        "title",
        "category",
        "status",
        "severity",
        "grid",
        "department",
        "deadline",
        "overdue",
    ]
    list_filter = ["status", "severity", "source", "overdue", "category"]
    search_fields = ["=id", "title", "source_key", "sensor_code"]
    list_select_related = ["category", "grid", "department"]
    show_full_result_count = False  # no COUNT(*) over millions of cases
    inlines = [CaseEventInline, CasePhotoInline, CaseEscalationInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class NotificationAttemptInline(TabularInline):
    model = NotificationAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "provider", "ok", "detail", "duration_ms")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Notification)
class NotificationAdmin(ModelAdmin):
    list_display = ["id", "channel", "recipient", "address", "subject", "status", "attempts", "created_at"]
    list_filter = ["status", "channel"]
    search_fields = ["subject", "address", "idempotency_key"]
    raw_id_fields = ["case", "escalation", "recipient"]
    show_full_result_count = False
    inlines = [NotificationAttemptInline]
