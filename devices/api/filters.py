import django_filters
from django.utils.translation import gettext_lazy as _

from command_center.api.fields import UtcIsoDateTimeField
from devices.models import Alarm, DeadLetter, SensorPoint

MAX_ID = 2**63 - 1


class SensorPointFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(field_name="sensor_type")
    scene = django_filters.CharFilter(field_name="scene__code")
    code = django_filters.CharFilter(field_name="code")

    class Meta:
        model = SensorPoint
        fields = ["type", "scene", "code", "status", "grid", "compound"]


class AlarmFilter(django_filters.FilterSet):
    sensor_point = django_filters.CharFilter(field_name="point__code", label=_("sensor point code"))
    scene = django_filters.CharFilter(field_name="scene__code")
    active = django_filters.BooleanFilter(field_name="cleared_at", lookup_expr="isnull", label=_("active"))
    # Ids: whole numbers that fit a 64-bit column (SQLite refuses larger ones with an error).
    grid = django_filters.NumberFilter(
        field_name="point__grid_id", min_value=0, max_value=MAX_ID, decimal_places=0
    )
    compound = django_filters.NumberFilter(
        field_name="point__compound_id", min_value=0, max_value=MAX_ID, decimal_places=0
    )

    class Meta:
        model = Alarm
        fields = [
            "sensor_point",
            "scene",
            "type",
            "severity",
            "active",
            "flapping",
            "false_alarm",
            "grid",
            "compound",
        ]


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class DeadLetterFilter(django_filters.FilterSet):
    since = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    until = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = DeadLetter
        fields = ["reason", "device_code", "since", "until"]
