from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from cases import workflow
from cases.models import Case, CaseEscalation, CaseEvent, CasePhoto, Category, Severity
from cases.selectors import merge_candidates


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[assignment,var-annotated]

    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "parent",
            "kind",
            "severity",
            "clock_type",
            "file_limit",
            "dispatch_limit",
            "handle_limit",
            "verify_limit",
            "auto_file",
            "auto_dispatch",
            "evidence_required",
            "default_department_kind",
            "enabled",
        ]


class CaseListSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    category = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    place = serializers.CharField(read_only=True)
    department = serializers.CharField(source="department.code", read_only=True, default=None)
    department_name = serializers.CharField(source="department.name", read_only=True, default=None)
    assignee = serializers.CharField(source="assignee.username", read_only=True, default=None)
    assignee_name = serializers.SerializerMethodField()
    sensor_point = serializers.CharField(source="sensor_code", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "title",
            "status",
            "status_display",
            "severity",
            "severity_display",
            "priority",
            "emergency",
            "category",
            "category_name",
            "source",
            "place",
            "grid",
            "community",
            "compound",
            "department",
            "department_name",
            "assignee",
            "assignee_name",
            "lat",
            "lng",
            "deadline",
            "overdue",
            "occurred_at",
            "created_at",
            "updated_at",
            "version",
            "alarm_count",
            "sensor_point",
        ]

    def get_assignee_name(self, case: Case) -> str | None:
        return str(case.assignee) if case.assignee_id and case.assignee else None


def photo_url(photo: CasePhoto) -> str:
    return reverse("console-photo", args=[photo.pk])


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = ["id", "kind", "url", "content_type", "size", "lat", "lng", "taken_at", "uploaded_at"]

    def get_url(self, photo: CasePhoto) -> str:
        return photo_url(photo)


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)
    actor_name = serializers.SerializerMethodField()
    action_display = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "at",
            "action",
            "action_display",
            "from_status",
            "to_status",
            "actor",
            "actor_name",
            "actor_role",
            "note",
            "data",
            "time_used_seconds",
            "overdue",
            "photos",
        ]

    def get_actor_name(self, event: CaseEvent) -> str:
        if event.actor_id and event.actor:
            return str(event.actor)
        return str(workflow.ROLE_LABELS.get(event.actor_role, event.actor_role))

    def get_action_display(self, event: CaseEvent) -> str:
        if event.action == "create":
            return str(pgettext_lazy("case action", "Create"))
        transition = workflow.TRANSITIONS.get(event.action)
        return str(transition.label) if transition else event.action


class EscalationSerializer(serializers.ModelSerializer):
    target_display = serializers.CharField(source="get_target_display", read_only=True)

    class Meta:
        model = CaseEscalation
        fields = [
            "position",
            "anchor",
            "after_minutes",
            "target",
            "target_display",
            "channels",
            "until",
            "state",
            "due_at",
            "fire_count",
            "last_fired_at",
        ]


class CaseDetailSerializer(CaseListSerializer):
    timeline = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)
    escalations = EscalationSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    merge_candidates = serializers.SerializerMethodField()
    handled_by = serializers.CharField(source="handled_by.username", read_only=True, default=None)
    now = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "description",
            "address",
            "status_before_suspend",
            "file_deadline",
            "dispatch_deadline",
            "handle_deadline",
            "verify_deadline",
            "ever_overdue",
            "filed_at",
            "dispatched_at",
            "accepted_at",
            "handled_at",
            "verified_at",
            "closed_at",
            "suspended_seconds",
            "extension_until",
            "extension_reason",
            "extension_count",
            "rework_count",
            "return_count",
            "reopen_count",
            "last_alarm_at",
            "sensor_normal_since",
            "reject_reason",
            "evaluation",
            "satisfaction",
            "satisfaction_comment",
            "merged_into",
            "handled_by",
            "source_key",
            "timeline",
            "photos",
            "escalations",
            "allowed_actions",
            "merge_candidates",
            "now",
        ]

    def get_timeline(self, case: Case) -> list[dict[str, Any]]:
        events = case.events.select_related("actor").prefetch_related("photos").order_by("at", "id")
        return EventSerializer(events, many=True).data  # type: ignore[return-value]

    def get_allowed_actions(self, case: Case) -> list[str]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return workflow.allowed_actions(case, user) if user is not None and user.is_authenticated else []

    def get_merge_candidates(self, case: Case) -> list[dict[str, Any]]:
        if case.status not in (Case.Status.DISCOVERED, Case.Status.FILED):
            return []
        found = merge_candidates(category=case.category, lat=case.lat, lng=case.lng, exclude_id=case.pk)
        return [
            {"id": other.pk, "title": other.title, "status": other.status, "distance_m": round(distance, 1)}
            for other, distance in found
        ]

    def get_now(self, case: Case) -> str:
        return timezone.now().isoformat()


class CaseCreateSerializer(serializers.Serializer):
    """A report from a person: sensor cases come from devices through cases.services."""

    SOURCES = [s for s in Case.Source.choices if s[0] != Case.Source.SENSOR]

    category = serializers.CharField(max_length=40)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")
    title = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    address = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    source = serializers.ChoiceField(choices=SOURCES, required=False)  # type: ignore[assignment]
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=9)


class ActionSerializer(serializers.Serializer):
    """Input of POST /cases/<id>/<action>/; each action reads the fields it needs (workflow checks them)."""

    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    reason = serializers.CharField(max_length=20, required=False)
    into = serializers.IntegerField(required=False)
    department = serializers.CharField(max_length=40, required=False, allow_blank=True)
    assignee = serializers.CharField(max_length=150, required=False, allow_blank=True)
    passed = serializers.BooleanField(required=False, allow_null=True, default=None)
    evaluation = serializers.CharField(max_length=10, required=False)
    until = serializers.DateTimeField(required=False)
    stars = serializers.IntegerField(required=False)
    idempotency_key = serializers.CharField(max_length=100, required=False, allow_blank=True)
    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=9)
    photo_lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    photo_lng = serializers.FloatField(required=False, min_value=-180, max_value=180)
    taken_at = serializers.DateTimeField(required=False)
