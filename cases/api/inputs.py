"""The request bodies of the case actions: one serializer per action, so the schema documents each."""

from typing import Any

from rest_framework import serializers

from cases import workflow
from cases.models import Case
from command_center.api.fields import IdField, NumberField, PlainTextField


def _note(action: str = "") -> PlainTextField:
    """The note of an action; required (with the workflow's message) when the action needs one."""
    message = workflow.NOTE_REQUIRED.get(action)
    if message is not None:
        errors = {"required": message, "blank": message, "null": message}
        return PlainTextField(max_length=2000, multiline=True, help_text="why", error_messages=errors)
    return PlainTextField(max_length=2000, multiline=True, allow_blank=True, required=False, default="")


class NoteInput(serializers.Serializer[Any]):
    note = _note()


class ReturnInput(serializers.Serializer[Any]):
    note = _note("return")


class SuspendInput(serializers.Serializer[Any]):
    note = _note("suspend")


class PhotosInput(NoteInput):
    """Photos (multipart/form-data) with where and when they were taken; at most 9."""

    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=9)
    photo_lat = NumberField(required=False, min_value=-90, max_value=90)
    photo_lng = NumberField(required=False, min_value=-180, max_value=180)
    taken_at = serializers.DateTimeField(required=False)


class RejectInput(NoteInput):
    reason = serializers.ChoiceField(choices=Case.RejectReason.choices)


class MergeInput(NoteInput):
    into = IdField(help_text="the open case this one duplicates")


class DispatchInput(NoteInput):
    """Neither department nor assignee: the dispatch rules choose."""

    department = PlainTextField(
        max_length=40, required=False, allow_blank=True, help_text="a department's code or id"
    )
    assignee = PlainTextField(
        max_length=150, required=False, allow_blank=True, help_text="a grid worker's or handler's username"
    )


class HandleInput(PhotosInput):
    """Photos after handling: required when the case's category asks for them (evidence_required)."""


class VerifyInput(PhotosInput):
    passed = serializers.BooleanField(help_text="false sends the case back for rework (say why in note)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["passed"] is False and not attrs.get("note", "").strip():
            message = workflow.REWORK_NEEDS_NOTE
            raise serializers.ValidationError({"note": [message]})
        return attrs


class CloseInput(NoteInput):
    evaluation = serializers.ChoiceField(choices=Case.Evaluation.choices)


class RequestExtensionInput(serializers.Serializer[Any]):
    note = _note("request_extension")
    until = serializers.DateTimeField(
        help_text="the new deadline, with its offset: 2026-11-23T17:00:00+08:00"
    )


class RateInput(NoteInput):
    stars = serializers.IntegerField(min_value=1, max_value=5)


# action → its input; the actions the system alone takes (mark_overdue, escalate) have no URL.
ACTION_INPUTS: dict[str, type[serializers.Serializer[Any]]] = {
    "file": NoteInput,
    "reject": RejectInput,
    "merge": MergeInput,
    "dispatch": DispatchInput,
    "return": ReturnInput,
    "accept": PhotosInput,
    "handle": HandleInput,
    "verify": VerifyInput,
    "close": CloseInput,
    "suspend": SuspendInput,
    "resume": NoteInput,
    "request_extension": RequestExtensionInput,
    "approve_extension": NoteInput,
    "deny_extension": NoteInput,
    "reopen": NoteInput,
    "rate": RateInput,
}
