from typing import Any

from django.contrib import admin

from .models import (
    CallbackTask,
    MediationOrder,
    Mediator,
    Open311Client,
    Party,
    PublicCategory,
    Rating,
    ResidentReport,
    Session,
)


@admin.register(PublicCategory)
class PublicCategoryAdmin(admin.ModelAdmin[PublicCategory]):
    list_display = ["category", "icon", "hint", "sort_order", "enabled"]
    list_editable = ["sort_order", "enabled"]


@admin.register(ResidentReport)
class ResidentReportAdmin(admin.ModelAdmin[ResidentReport]):
    list_display = ["tracking_code", "case", "category", "joined", "channel", "created_at"]
    list_filter = ["channel", "joined"]
    search_fields = ["tracking_code"]
    raw_id_fields = ["case"]
    # The phone is shown masked in lists elsewhere; here only for administrators with the model's rights.
    readonly_fields = ["tracking_code", "case", "category", "lat", "lng", "created_at"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin[Rating]):
    list_display = ["report", "case", "stars", "reopened", "created_at"]
    list_filter = ["stars", "reopened"]
    raw_id_fields = ["report", "case"]


@admin.register(CallbackTask)
class CallbackTaskAdmin(admin.ModelAdmin[CallbackTask]):
    list_display = ["case", "community", "status", "created_at", "done_at"]
    list_filter = ["status", "community"]
    raw_id_fields = ["rating", "case"]


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin[Open311Client]):
    """Keys are made by `manage.py open311_key <name>` (the key is shown once); here they are disabled."""

    list_display = ["name", "enabled", "created_at"]
    list_editable = ["enabled"]
    readonly_fields = ["key_digest", "created_at"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Mediator)
class MediatorAdmin(admin.ModelAdmin[Mediator]):
    list_display = ["name", "kind", "community", "active"]
    list_filter = ["kind", "active"]


class PartyInline(admin.TabularInline[Any, Any]):
    model = Party
    extra = 0


class SessionInline(admin.TabularInline[Any, Any]):
    model = Session
    extra = 0


@admin.register(MediationOrder)
class MediationOrderAdmin(admin.ModelAdmin[MediationOrder]):
    list_display = ["id", "type", "level", "status", "community", "mediator", "created_at", "follow_up_due"]
    list_filter = ["status", "type", "level"]
    raw_id_fields = ["report"]
    inlines = [PartyInline, SessionInline]
