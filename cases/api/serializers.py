import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from cases import workflow
from cases.models import Case, CaseEscalation, CaseEvent, CasePhoto, Category, Severity
from cases.selectors import LIST_VALUES, case_timeline, cases_for, merge_candidates, related_names
from command_center.api.fields import NumberField, PlainTextField


class CategorySerializer(serializers.ModelSerializer[Category]):
    # A major category (大类) has none.
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[assignment,var-annotated]

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


def _time(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


# Fields copied as they are from the case row (list and detail).
PLAIN_LIST_FIELDS = [
    "id",
    "title",
    "status",
    "severity",
    "priority",
    "emergency",
    "source",
    "lat",
    "lng",
    "overdue",
    "version",
    "alarm_count",
]
TIME_LIST_FIELDS = ["deadline", "occurred_at", "created_at", "updated_at"]
PLAIN_DETAIL_FIELDS = [
    "description",
    "address",
    "status_before_suspend",
    "ever_overdue",
    "suspended_seconds",
    "extension_reason",
    "extension_count",
    "rework_count",
    "return_count",
    "reopen_count",
    "reject_reason",
    "evaluation",
    "satisfaction",
    "satisfaction_comment",
    "source_key",
]
TIME_DETAIL_FIELDS = [
    "file_deadline",
    "dispatch_deadline",
    "handle_deadline",
    "verify_deadline",
    "filed_at",
    "dispatched_at",
    "accepted_at",
    "handled_at",
    "verified_at",
    "closed_at",
    "extension_until",
    "last_alarm_at",
    "sensor_normal_since",
]


NO_NAMES: tuple[Any, Any, Any] = (None, None, None)


@functools.cache
def _labels(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Status and severity labels in `language` (the active one: the argument only keys the cache)."""
    return (
        {key: str(label) for key, label in workflow.STATUS_LABELS.items()},
        {key: str(label) for key, label in SEVERITY_LABELS.items()},
    )


class CaseRows:
    """Builds the rows of a page of cases: the names of their relations (one query), the labels in the
    active language and the time zone are looked up once per page, not once per row or field."""

    def __init__(self, cases: Sequence[Mapping[str, Any]], *, more_users: Iterable[int | None] = ()) -> None:
        self.names = related_names(
            categories=[case["category_id"] for case in cases],
            grids=[case["grid_id"] for case in cases],
            compounds=[case["compound_id"] for case in cases],
            departments=[case["department_id"] for case in cases],
            users=[*(case["assignee_id"] for case in cases), *more_users],
        )
        self.zone = timezone.get_current_timezone()
        self.statuses, self.severities = _labels(translation.get_language())

    def time(self, value: datetime | None) -> str | None:
        return value.astimezone(self.zone).isoformat() if value is not None else None

    def name(self, kind: str, pk: int | None) -> tuple[Any, Any, Any]:
        return self.names.get((kind, pk), NO_NAMES)

    def row(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A list row from the values of selectors.LIST_VALUES (a dict: no model instances to build).
        Written out flat: it runs for every row of every page."""
        names, zone = self.names, self.zone
        category_code, category_name, _ = names.get(("category", values["category_id"]), NO_NAMES)
        grid_name = names.get(("grid", values["grid_id"]), NO_NAMES)[1]
        compound_name = names.get(("compound", values["compound_id"]), NO_NAMES)[1]
        department_code, department_name, _ = names.get(("department", values["department_id"]), NO_NAMES)
        username, first, last = names.get(("user", values["assignee_id"]), NO_NAMES)
        row: dict[str, Any] = {name: values[name] for name in PLAIN_LIST_FIELDS}
        for name in TIME_LIST_FIELDS:
            value = values[name]
            row[name] = value.astimezone(zone).isoformat() if value is not None else None
        status, severity = values["status"], values["severity"]
        row["status_display"] = self.statuses.get(status, status)
        row["severity_display"] = self.severities.get(severity, severity)
        row["category"] = category_code
        row["category_name"] = category_name
        row["place"] = compound_name or grid_name or values["address"]
        row["grid"] = values["grid_id"]
        row["community"] = values["community_id"]
        row["compound"] = values["compound_id"]
        row["department"] = department_code
        row["department_name"] = department_name
        row["assignee"] = username
        # As User.__str__: the full name, or else the username.
        row["assignee_name"] = (f"{first} {last}".strip() or username) if username else None
        row["sensor_point"] = values["sensor_code"]
        return row


class CaseRowsSerializer(serializers.ListSerializer[Any]):
    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        cases = list(data.all() if isinstance(data, models.manager.BaseManager) else data)  # as DRF
        rows = CaseRows(cases)
        return [rows.row(values) for values in cases]


class CaseListSerializer(serializers.ModelSerializer[Case]):
    """A row of the case list. `to_representation` builds the dict directly: DRF's per-field machinery
    cost about a millisecond per row, and the list is the hottest read (bench/cases_api.py); the
    declared fields describe the same output for the OpenAPI schema."""

    status_display = serializers.CharField(read_only=True)
    severity_display = serializers.CharField(read_only=True)
    category = serializers.CharField(read_only=True)
    category_name = serializers.CharField(read_only=True)
    place = serializers.CharField(read_only=True)
    department = serializers.CharField(read_only=True, allow_null=True)
    department_name = serializers.CharField(read_only=True, allow_null=True)
    assignee = serializers.CharField(read_only=True, allow_null=True)
    assignee_name = serializers.CharField(read_only=True, allow_null=True)
    sensor_point = serializers.CharField(read_only=True)

    class Meta:
        model = Case
        list_serializer_class: type[serializers.ListSerializer[Any]] = CaseRowsSerializer
        fields = [
            *PLAIN_LIST_FIELDS,
            *TIME_LIST_FIELDS,
            "status_display",
            "severity_display",
            "category",
            "category_name",
            "place",
            "grid",
            "community",
            "compound",
            "department",
            "department_name",
            "assignee",
            "assignee_name",
            "sensor_point",
        ]

    def to_representation(self, values: Mapping[str, Any]) -> dict[str, Any]:  # type: ignore[override]
        return CaseRows([values]).row(values)


SEVERITY_LABELS: dict[str, Any] = dict(Severity.choices)


class PhotoSerializer(serializers.ModelSerializer[CasePhoto]):
    url = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = ["id", "kind", "url", "content_type", "size", "lat", "lng", "taken_at", "uploaded_at"]

    def get_url(self, photo: CasePhoto) -> str:
        return reverse("console-photo", args=[photo.pk])


# The rows below are built from the dicts of selectors.case_timeline(), described by the serializers.
def photo_row(photo: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": photo["id"],
        "kind": photo["kind"],
        "url": reverse("console-photo", args=[photo["id"]]),
        "content_type": photo["content_type"],
        "size": photo["size"],
        "lat": photo["lat"],
        "lng": photo["lng"],
        "taken_at": _time(photo["taken_at"]),
        "uploaded_at": _time(photo["uploaded_at"]),
    }


class EventSerializer(serializers.ModelSerializer[CaseEvent]):
    actor = serializers.CharField(read_only=True, allow_null=True)
    actor_name = serializers.CharField(read_only=True)
    action_display = serializers.CharField(read_only=True)
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


def action_label(action: str) -> str:
    if action == "create":
        return str(pgettext_lazy("case action", "Create"))
    transition = workflow.TRANSITIONS.get(action)
    return str(transition.label) if transition else action


def event_row(event: Mapping[str, Any], photos: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    username = event["username"]
    full_name = f"{event['first_name']} {event['last_name']}".strip() if username else ""  # as User.__str__
    return {
        "id": event["id"],
        "at": _time(event["at"]),
        "action": event["action"],
        "action_display": action_label(event["action"]),
        "from_status": event["from_status"],
        "to_status": event["to_status"],
        "actor": username,
        "actor_name": full_name
        or username
        or str(workflow.ROLE_LABELS.get(event["actor_role"], event["actor_role"])),
        "actor_role": event["actor_role"],
        "note": event["note"],
        "data": event["data"],
        "time_used_seconds": event["time_used_seconds"],
        "overdue": event["overdue"],
        "photos": [photo_row(photo) for photo in photos],
    }


class EscalationSerializer(serializers.ModelSerializer[CaseEscalation]):
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


TARGET_LABELS: dict[str, Any] = dict(CaseEscalation._meta.get_field("target").choices or [])


def escalation_row(step: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "position": step["position"],
        "anchor": step["anchor"],
        "after_minutes": step["after_minutes"],
        "target": step["target"],
        "target_display": str(TARGET_LABELS.get(step["target"], step["target"])),
        "channels": step["channels"],
        "until": step["until"],
        "state": step["state"],
        "due_at": _time(step["due_at"]),
        "fire_count": step["fire_count"],
        "last_fired_at": _time(step["last_fired_at"]),
    }


class CaseDetailSerializer(CaseListSerializer):
    """The case with its timeline, photos, escalation steps, the actions the caller may take now and,
    while it can still be merged, the open cases of its category nearby."""

    timeline = EventSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    escalations = EscalationSerializer(many=True, read_only=True)
    allowed_actions = serializers.ListField(child=serializers.CharField(), read_only=True)
    merge_candidates = serializers.ListField(child=serializers.DictField(), read_only=True)
    handled_by = serializers.CharField(read_only=True, allow_null=True)
    now = serializers.DateTimeField(read_only=True)

    class Meta(CaseListSerializer.Meta):
        list_serializer_class = serializers.ListSerializer  # details, not list rows
        fields = [
            *CaseListSerializer.Meta.fields,
            *PLAIN_DETAIL_FIELDS,
            *TIME_DETAIL_FIELDS,
            "merged_into",
            "handled_by",
            "timeline",
            "photos",
            "escalations",
            "allowed_actions",
            "merge_candidates",
            "now",
        ]

    def to_representation(self, case: Case) -> dict[str, Any]:  # type: ignore[override]
        values = {name: getattr(case, name) for name in LIST_VALUES}
        rows = CaseRows([values], more_users=[case.handled_by_id])
        row = rows.row(values)
        row.update({name: getattr(case, name) for name in PLAIN_DETAIL_FIELDS})
        row.update({name: rows.time(getattr(case, name)) for name in TIME_DETAIL_FIELDS})
        events, photos, escalations = case_timeline(case.pk)
        by_event: dict[int | None, list[dict[str, Any]]] = {}
        for photo in photos:
            by_event.setdefault(photo["event_id"], []).append(photo)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        row.update(
            merged_into=case.merged_into_id,
            handled_by=rows.name("user", case.handled_by_id)[0],
            timeline=[event_row(event, by_event.get(event["id"], [])) for event in events],
            photos=[photo_row(photo) for photo in photos],
            escalations=[escalation_row(step) for step in escalations],
            allowed_actions=workflow.allowed_actions(case, user) if user and user.is_authenticated else [],
            merge_candidates=self.nearby_open_cases(case),
            now=timezone.now().isoformat(),
        )
        return row

    def nearby_open_cases(self, case: Case) -> list[dict[str, Any]]:
        """Open cases of its category nearby, among those the caller may see."""
        if case.status not in (Case.Status.DISCOVERED, Case.Status.FILED):
            return []
        found = merge_candidates(category=case.category, lat=case.lat, lng=case.lng, exclude_id=case.pk)
        if not found:
            return []
        request = self.context.get("request")
        user = getattr(request, "user", None)
        visible = set(
            cases_for(user).filter(pk__in=[other.pk for other, _ in found]).values_list("pk", flat=True)
        )
        return [
            {"id": other.pk, "title": other.title, "status": other.status, "distance_m": round(distance, 1)}
            for other, distance in found
            if other.pk in visible
        ]


class CaseCreateSerializer(serializers.Serializer[Any]):
    """A report from a person: sensor cases come from devices through cases.services. The point must lie
    in the deployment's area; a grid worker reports inside their own grids."""

    SOURCES = [s for s in Case.Source.choices if s[0] != Case.Source.SENSOR]

    category = PlainTextField(max_length=40, help_text="a minor category's code (小类), e.g. exposed-garbage")
    description = PlainTextField(
        max_length=5000, allow_blank=True, required=False, default="", multiline=True
    )
    title = PlainTextField(max_length=200, allow_blank=True, required=False, default="")
    address = PlainTextField(max_length=200, allow_blank=True, required=False, default="")
    lat = NumberField(min_value=-90, max_value=90)
    lng = NumberField(min_value=-180, max_value=180)
    source = serializers.ChoiceField(choices=SOURCES, required=False)  # type: ignore[assignment]
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=9)


# The input of each case action (POST /api/v1/cases/<id>/<action>/): the fields it takes, the ones it needs
# required. The workflow checks them again (it serves other callers too); these describe them.
