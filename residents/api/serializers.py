"""What the residents API takes and answers. Answers carry no staff names and no personal data."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from command_center.api.fields import IdField, NumberField, PlainTextField

from ..photos import MAX_PHOTO_BYTES, MAX_PHOTOS


class ReportInputSerializer(serializers.Serializer[Any]):
    category = PlainTextField(max_length=40, help_text="a resident category's code, e.g. exposed-garbage")
    description = PlainTextField(max_length=2000, multiline=True, help_text="what is wrong, in a few words")
    lat = NumberField(min_value=-90, max_value=90)
    lng = NumberField(min_value=-180, max_value=180)
    phone = PlainTextField(max_length=20, required=False, allow_blank=True, default="")
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_PHOTOS, help_text="up to 3 images"
    )
    same_as = IdField(
        required=False,
        help_text="an open case from GET /api/v1/resident-reports/nearby/: add this report to it",
    )

    def validate_photos(self, uploads: list[Any]) -> list[Any]:
        # Refused by their announced size before a byte is read into memory.
        for upload in uploads:
            if upload.size > MAX_PHOTO_BYTES:
                raise serializers.ValidationError(_("%(name)s is larger than 10 MB.") % {"name": upload.name})
        return uploads


class ReportCreatedSerializer(serializers.Serializer[Any]):
    tracking_code = serializers.CharField()
    tracking_url = serializers.CharField()
    joined = serializers.BooleanField(help_text="added to an open case of the same problem")
    reporters = serializers.IntegerField(help_text="residents who reported the case")


class NearbyQuerySerializer(serializers.Serializer[Any]):
    category = PlainTextField(max_length=40)
    lat = NumberField(min_value=-90, max_value=90)
    lng = NumberField(min_value=-180, max_value=180)


class NearbyCaseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    category = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    distance_m = serializers.IntegerField()
    reported_at = serializers.DateTimeField()
    reporters = serializers.IntegerField()


class NearbySerializer(serializers.Serializer[Any]):
    radius_m = serializers.IntegerField()
    results = NearbyCaseSerializer(many=True)


class StepSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named as Field.label: DRF collects it
    status = serializers.CharField()
    at = serializers.DateTimeField()


class RatingSerializer(serializers.Serializer[Any]):
    stars = serializers.IntegerField()
    comment = serializers.CharField()
    reopened = serializers.BooleanField()
    at = serializers.DateTimeField(source="created_at")


class TrackingSerializer(serializers.Serializer[Any]):
    tracking_code = serializers.CharField()
    category = serializers.CharField()
    icon = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField(help_text="the case's status code")
    status_label = serializers.CharField()
    reported_at = serializers.DateTimeField()
    reporters = serializers.IntegerField()
    steps = StepSerializer(many=True)
    photos = serializers.ListField(child=serializers.CharField(), help_text="the handler's photos (URLs)")
    rating = RatingSerializer(allow_null=True)
    can_rate = serializers.BooleanField()


class RatingInputSerializer(serializers.Serializer[Any]):
    stars = serializers.IntegerField(min_value=1, max_value=5)
    comment = PlainTextField(max_length=500, multiline=True, required=False, allow_blank=True, default="")


class CaseReportSerializer(serializers.Serializer[Any]):
    """A resident's report of a case, for staff: the phone masked unless the reader handles or dispatches
    the case (no tracking code: it lets its holder rate the case)."""

    id = serializers.IntegerField()
    reported_at = serializers.DateTimeField()
    description = serializers.CharField()
    phone = serializers.CharField(help_text="138****5678 unless the caller is a dispatcher or handler")
    joined = serializers.BooleanField()
    channel = serializers.CharField()
    photos = serializers.IntegerField(help_text="photos of a report that joined the case")
    stars = serializers.IntegerField(allow_null=True, help_text="the latest rating")
