from django.contrib import admin

from .models import Scene, SensorPoint


@admin.register(Scene)
class SceneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sensor_type", "enabled", "severity"]
    list_filter = ["enabled", "sensor_type"]


@admin.register(SensorPoint)
class SensorPointAdmin(admin.ModelAdmin):
    list_display = ["code", "scene", "grid", "compound", "status", "last_seen_at", "battery"]
    list_filter = ["status", "scene"]
    search_fields = ["code"]
    raw_id_fields = ["grid", "compound", "building", "department"]
