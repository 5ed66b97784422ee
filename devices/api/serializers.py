import base64
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from command_center.api.fields import IdField, NumberField, PlainTextField
from devices.alarms.changes import alarm_title, place_name
from devices.models import AcousticZone, Alarm, DeadLetter, SensorPoint


class SensorPointSerializer(serializers.ModelSerializer[Any]):
    type = serializers.CharField(source="sensor_type", read_only=True)
    scene = serializers.CharField(source="scene.code", read_only=True)
    online = serializers.SerializerMethodField()
    # Empty when the point has none: read-only fields of a ModelSerializer would leave "" out of the enum.
    acoustic_zone = serializers.ChoiceField(choices=AcousticZone.choices, allow_blank=True, read_only=True)

    class Meta:
        model = SensorPoint
        fields = [
            "id",
            "code",
            "type",
            "scene",
            "lat",
            "lng",
            "grid",
            "compound",
            "building",
            "department",
            "status",
            "installed_on",
            "heartbeat_interval",
            "threshold",
            "acoustic_zone",
            "last_seen_at",
            "battery",
            "online",
            "created_at",
        ]
        read_only_fields = fields

    def get_online(self, point: SensorPoint) -> bool | None:
        """True within 3 heartbeat intervals of the last message; None if it never reported."""
        if point.offline_after is None:
            return None
        return point.offline_after > timezone.now()


class SensorPointCreateSerializer(serializers.Serializer[Any]):
    """Register a point: code, type, lat, lng at least; grid and compound come from the location."""

    code = PlainTextField(max_length=64)
    type = serializers.SlugField(max_length=40)
    lat = NumberField(min_value=-90, max_value=90)
    lng = NumberField(min_value=-180, max_value=180)
    scene = serializers.SlugField(max_length=40, required=False, allow_blank=True, default="")
    grid = IdField(required=False, allow_null=True, default=None)
    compound = IdField(required=False, allow_null=True, default=None)
    building = IdField(required=False, allow_null=True, default=None)
    department = IdField(required=False, allow_null=True, default=None)
    installed_on = serializers.DateField(required=False, allow_null=True, default=None)
    heartbeat_interval = serializers.IntegerField(min_value=10, max_value=86_400, required=False, default=300)
    threshold = NumberField(required=False, allow_null=True, default=None)
    acoustic_zone = serializers.ChoiceField(
        choices=AcousticZone.choices, required=False, allow_blank=True, default=""
    )


class SensorPointCreatedSerializer(SensorPointSerializer):
    """The registered point with its MQTT credentials: the password is shown this once only."""

    mqtt_username = serializers.CharField(source="code", read_only=True)
    mqtt_password = serializers.SerializerMethodField()

    class Meta(SensorPointSerializer.Meta):
        fields = [*SensorPointSerializer.Meta.fields, "mqtt_username", "mqtt_password"]
        read_only_fields = fields

    def get_mqtt_password(self, point: SensorPoint) -> str:
        return str(self.context["mqtt_password"])


class AlarmSerializer(serializers.ModelSerializer[Any]):
    sensor_point = serializers.CharField(source="point.code", read_only=True)
    scene = serializers.CharField(source="scene.code", read_only=True, default=None)
    status = serializers.CharField(read_only=True)
    title = serializers.SerializerMethodField()
    place = serializers.SerializerMethodField()
    lat = serializers.FloatField(source="point.lat", read_only=True)
    lng = serializers.FloatField(source="point.lng", read_only=True)
    grid = serializers.IntegerField(source="point.grid_id", read_only=True)
    clear_reason = serializers.ChoiceField(
        choices=Alarm.ClearReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Alarm
        fields = [
            "id",
            "title",
            "sensor_point",
            "scene",
            "type",
            "severity",
            "status",
            "count",
            "first_seen",
            "last_seen",
            "last_value",
            "raised_at",
            "acknowledged_at",
            "acknowledged_by",
            "cleared_at",
            "clear_reason",
            "flapping",
            "false_alarm",
            "case_id",
            "version",
            "lat",
            "lng",
            "grid",
            "place",
        ]
        read_only_fields = fields

    def get_title(self, alarm: Alarm) -> str:
        return alarm_title(alarm, alarm.point)

    def get_place(self, alarm: Alarm) -> str:
        return place_name(alarm.point)


class DeadLetterSerializer(serializers.ModelSerializer[Any]):
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    payload = serializers.SerializerMethodField(
        help_text="The payload as UTF-8 text (undecodable bytes replaced)."
    )
    payload_base64 = serializers.SerializerMethodField(help_text="The exact payload bytes.")

    class Meta:
        model = DeadLetter
        fields = [
            "id",
            "reason",
            "reason_label",
            "detail",
            "topic",
            "device_code",
            "payload",
            "payload_base64",
            "received_at",
        ]
        read_only_fields = fields

    def get_payload(self, letter: DeadLetter) -> str:
        return bytes(letter.payload).decode("utf-8", errors="replace")

    def get_payload_base64(self, letter: DeadLetter) -> str:
        return base64.b64encode(bytes(letter.payload)).decode()
