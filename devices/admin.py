"""Admin: scenes with alarm volume and false-alarm rate, points on a map, CSV import/export, credentials,
alarms with their actions, dead letters."""

import io
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import credentials, registry
from .alarms import actions
from .forms import CsvImportForm, SensorPointAdminForm
from .models import Alarm, DeadLetter, Scene, SensorPoint
from .selectors import false_alarm_rate, with_alarm_statistics

# Django's admin classes are generic only in the type stubs (not subscriptable at run time).
if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


@admin.register(Scene)
class SceneAdmin(ModelAdmin):
    list_display = [
        "code",
        "name",
        "enabled",
        "is_retired",
        "threshold",
        "dwell_seconds",
        "alarms_7d",
        "false_rate_7d",
        "alarms_30d",
        "false_rate_30d",
    ]
    list_filter = ["enabled", "sensor_type", "severity"]
    search_fields = ["code", "name", "name_en"]
    actions = ["switch_on", "switch_off", "retire"]
    fieldsets = [
        (None, {"fields": ["code", "name", "name_en", "sensor_type", "enabled", "retired_at", "severity"]}),
        (
            _("Rule"),
            {
                "fields": [
                    "comparison",
                    "threshold",
                    "night_threshold",
                    "zone_thresholds",
                    "night_starts",
                    "night_ends",
                    "dwell_seconds",
                    "repeat_count",
                    "repeat_window_seconds",
                    "clear_after_seconds",
                ]
            },
        ),
        (_("When"), {"fields": ["active_from", "active_until", "active_months"]}),
        (
            _("Cases"),
            {
                "fields": [
                    "case_category_code",
                    "cluster_points",
                    "cluster_window_seconds",
                    "cluster_category_code",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Scene]:
        return with_alarm_statistics(super().get_queryset(request))

    @admin.display(boolean=True, description=_("retired"))
    def is_retired(self, scene: Scene) -> bool:
        return scene.retired_at is not None

    @admin.display(description=_("alarms, 7 days"), ordering="alarms_7d")
    def alarms_7d(self, scene: Any) -> int:
        return int(scene.alarms_7d)

    @admin.display(description=_("alarms, 30 days"), ordering="alarms_30d")
    def alarms_30d(self, scene: Any) -> int:
        return int(scene.alarms_30d)

    @admin.display(description=_("false alarms %, 7 days"))
    def false_rate_7d(self, scene: Any) -> str:
        rate = false_alarm_rate(scene.alarms_7d, scene.false_7d)
        return "-" if rate is None else f"{rate} %"

    @admin.display(description=_("false alarms %, 30 days"))
    def false_rate_30d(self, scene: Any) -> str:
        rate = false_alarm_rate(scene.alarms_30d, scene.false_30d)
        return "-" if rate is None else f"{rate} %"

    @admin.action(description=_("Switch the selected scenes on"))
    def switch_on(self, request: HttpRequest, queryset: QuerySet[Scene]) -> None:
        self.message_user(request, _("%(n)s scene(s) switched on.") % {"n": queryset.update(enabled=True)})

    @admin.action(description=_("Switch the selected scenes off (no alarms)"))
    def switch_off(self, request: HttpRequest, queryset: QuerySet[Scene]) -> None:
        self.message_user(request, _("%(n)s scene(s) switched off.") % {"n": queryset.update(enabled=False)})

    @admin.action(description=_("Retire the selected scenes"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Scene]) -> None:
        count = queryset.filter(retired_at__isnull=True).update(retired_at=timezone.now(), enabled=False)
        self.message_user(request, _("%(n)s scene(s) retired.") % {"n": count})


def _credentials_csv(issued: list[tuple[str, str]]) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("code,mqtt_username,mqtt_password\n")
    for code, password in issued:
        buffer.write(f"{code},{code},{password}\n")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mqtt-credentials.csv"'
    response["Cache-Control"] = "no-store"
    return response


@admin.register(SensorPoint)
class SensorPointAdmin(ModelAdmin):
    form = SensorPointAdminForm
    list_display = [
        "code",
        "scene",
        "grid",
        "compound",
        "status",
        "last_seen_at",
        "battery",
        "has_credentials",
    ]
    list_filter = ["status", "scene"]
    search_fields = ["code"]
    raw_id_fields = ["grid", "compound", "building", "department"]
    readonly_fields = ["sensor_type", "last_seen_at", "battery", "created_at"]
    actions = ["issue_mqtt_credentials", "export_csv"]
    change_list_template = "admin/devices/sensorpoint/change_list.html"
    fieldsets = [
        (None, {"fields": ["code", "scene", "sensor_type", "status", "installed_on", "department"]}),
        (_("Location"), {"fields": ["lat", "lng", "grid", "compound", "building"]}),
        (
            _("Rule and health"),
            {
                "fields": [
                    "threshold",
                    "acoustic_zone",
                    "heartbeat_interval",
                    "last_seen_at",
                    "battery",
                    "created_at",
                ]
            },
        ),
    ]

    @admin.display(boolean=True, description=_("MQTT credentials"))
    def has_credentials(self, point: SensorPoint) -> bool:
        return point.has_credentials

    def save_model(self, request: HttpRequest, obj: SensorPoint, form: Any, change: bool) -> None:
        if obj.grid_id is None and obj.compound_id is None:
            registry.place_point(obj)
        elif obj.compound_id is not None and obj.grid_id is None:
            obj.grid_id = obj.compound.grid_id  # type: ignore[union-attr]
        password = None
        if not change:
            password = credentials.generate_password()
            obj.mqtt_password_hash = credentials.mosquitto_hash(password)
        super().save_model(request, obj, form, change)
        if password is not None:
            text = _(
                "MQTT credentials of %(code)s: username %(code)s, password %(password)s. Copy the password "
                "now: it is stored hashed and never shown again."
            )
            self.message_user(request, text % {"code": obj.code, "password": password}, messages.WARNING)

    @admin.action(description=_("Issue new MQTT credentials (CSV download, shown once)"))
    def issue_mqtt_credentials(self, request: HttpRequest, queryset: QuerySet[SensorPoint]) -> HttpResponse:
        return _credentials_csv(registry.issue_credentials(point_ids=queryset.values_list("id", flat=True)))

    @admin.action(description=_("Export the selected points as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[SensorPoint]) -> StreamingHttpResponse:
        rows = registry.export_points_csv(queryset.select_related("scene", "grid", "compound").iterator(2000))
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="sensor-points.csv"'
        return response

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "import-csv/", self.admin_site.admin_view(self.import_csv), name="devices_sensorpoint_import"
            ),
        ]
        return extra + super().get_urls()

    def import_csv(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:devices_sensorpoint_changelist")
        errors: list[registry.RowError] = []
        form = CsvImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
                count = registry.import_points_csv(text)
            except UnicodeDecodeError:
                errors = [registry.RowError(0, str(_("the file is not UTF-8 text")))]
            except registry.ImportFailed as failed:
                errors = failed.errors
            else:
                self.message_user(
                    request,
                    ngettext("%(n)s point imported.", "%(n)s points imported.", count) % {"n": count},
                )
                return redirect("admin:devices_sensorpoint_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "errors": errors,
            "title": _("Import sensor points from CSV"),
            "columns": registry.CSV_COLUMNS,
        }
        return render(request, "admin/devices/sensorpoint/import_csv.html", context)


@admin.register(Alarm)
class AlarmAdmin(ModelAdmin):
    list_display = [
        "id",
        "point",
        "type",
        "severity",
        "count",
        "status",
        "raised_at",
        "last_seen",
        "flapping",
        "false_alarm",
        "case_id",
    ]
    list_filter = ["type", "severity", "flapping", "false_alarm", ("cleared_at", admin.EmptyFieldListFilter)]
    search_fields = ["point__code"]
    list_select_related = ["point"]
    raw_id_fields = ["point"]
    actions = ["acknowledge", "clear", "false_alarm_action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # alarms change through the rules and the actions below only

    @admin.display(description=_("status"))
    def status(self, alarm: Alarm) -> str:
        return alarm.status

    def _each(self, request: HttpRequest, queryset: QuerySet[Alarm], act: Any) -> None:
        done = 0
        for alarm_id in queryset.values_list("id", flat=True):
            try:
                act(alarm_id=alarm_id, user=request.user)
                done += 1
            except actions.AlarmStateError:
                pass
        self.message_user(request, _("%(n)s alarm(s) updated.") % {"n": done})

    @admin.action(description=_("Acknowledge"), permissions=["view"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        self._each(request, queryset, actions.acknowledge_alarm)

    @admin.action(description=_("Clear"), permissions=["view"])
    def clear(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        self._each(request, queryset, actions.clear_alarm)

    @admin.action(description=_("Mark as false alarm"), permissions=["view"])
    def false_alarm_action(self, request: HttpRequest, queryset: QuerySet[Alarm]) -> None:
        self._each(request, queryset, actions.mark_false_alarm)


@admin.register(DeadLetter)
class DeadLetterAdmin(ModelAdmin):
    list_display = ["received_at", "reason", "device_code", "topic", "size", "detail"]
    list_filter = ["reason"]
    search_fields = ["device_code", "topic"]
    date_hierarchy = "received_at"
    readonly_fields = ["payload_text"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("payload (the first 4 KiB, as text)"))
    def payload_text(self, letter: DeadLetter) -> str:
        text = bytes(letter.payload).decode("utf-8", errors="replace")
        # A text area wraps a long line (an oversized payload is often one); no inline style needed.
        return format_html('<textarea readonly rows="12" class="vLargeTextField">{}</textarea>', text)
