"""The stats API's query parameters and answers (the answers are declared for the OpenAPI schema)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.models import Case, Severity
from stats.filters import FILTERS
from stats.periods import KINDS, MAX_RANGE_DAYS, Period, PeriodError, date_range, parse_week, period_of

COUNTS = (
    "reported", "filed", "dispatched", "returned", "handled", "handled_on_time", "reworked", "extended",
    "closed", "due", "due_closed", "due_closed_on_time", "suspended", "rated", "satisfied", "handlers",
    "work_days", "overdue",
)  # fmt: skip
RATES = (
    "filing_rate", "return_rate", "accurate_dispatch_rate", "on_time_handle_rate", "rework_rate",
    "extension_rate", "close_rate", "on_time_close_rate", "satisfaction_rate", "closed_per_handler_day",
    "avg_response_hours", "avg_handle_hours", "avg_handle_work_hours", "avg_disposal_hours",
)  # fmt: skip
DEFAULT_RANGE_DAYS = 30


def _rate() -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, help_text="null when the denominator is 0")


def _changes() -> serializers.DictField:
    return serializers.DictField(child=serializers.FloatField(allow_null=True))


def _headline() -> serializers.DictField:
    return serializers.DictField(child=serializers.FloatField(allow_null=True))


KpisSerializer = type(
    "KpisSerializer",
    (serializers.Serializer,),
    {
        **{name: serializers.IntegerField() for name in COUNTS},
        **{name: _rate() for name in RATES},
        "period_on_period": _changes(),
        "year_on_year": _changes(),
        "previous": _headline(),
        "year_ago": _headline(),
    },
)


class PeriodSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=KINDS)
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like Field.label
    # "from" is a keyword: declared below.
    to = serializers.DateField()


PeriodSerializer._declared_fields["from"] = serializers.DateField()


class WeeklySerializer(KpisSerializer):  # type: ignore[valid-type,misc]  # a class made by type()
    week = serializers.CharField(help_text="ISO week, e.g. 2026-W47")
    start = serializers.DateField(help_text="its Monday")
    end = serializers.DateField(help_text="its Sunday")


class StatisticsSerializer(serializers.Serializer[Any]):
    period = PeriodSerializer()
    kpis = KpisSerializer()
    rankings = serializers.DictField(child=serializers.ListField(child=serializers.DictField()))
    overdue_list = serializers.ListField(child=serializers.DictField())
    sensors = serializers.DictField()
    daily = serializers.ListField(child=serializers.DictField())


class WeekQuery(serializers.Serializer[Any]):
    week = serializers.CharField(required=False, help_text="ISO week, e.g. 2026-W47; default: last week")

    def validate_week(self, value: str) -> Period:
        try:
            return parse_week(value)
        except PeriodError as error:
            raise serializers.ValidationError(_("Give an ISO week such as 2026-W47.")) from error


class StatsQuery(serializers.Serializer[Any]):
    """The period (a kind and a day in it, or from-to) and the filters of /stats/ and its API."""

    period = serializers.ChoiceField(choices=KINDS, required=False, default="range")
    date = serializers.DateField(required=False, help_text="a day of the period (day, week, month, …)")
    to = serializers.DateField(required=False, help_text="last day of a range (included)")
    community = serializers.CharField(required=False, max_length=12)
    grid = serializers.CharField(required=False, max_length=15)
    department = serializers.CharField(required=False, max_length=40)
    worker = serializers.CharField(required=False, max_length=150)
    category = serializers.CharField(required=False, max_length=40)
    source = serializers.ChoiceField(choices=Case.Source.choices, required=False)  # type: ignore[assignment]  # named like Field.source
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = timezone.localdate()
        kind = attrs.get("period", "range")
        try:
            if kind == "range":
                last = attrs.get("to") or today
                first = attrs.get("from") or last - timedelta(days=DEFAULT_RANGE_DAYS - 1)
                attrs["period"] = date_range(first, last)
            else:
                attrs["period"] = period_of(kind, attrs.get("date") or today)
        except PeriodError as error:
            message = _("Give a start on or before the end, at most %(days)s days apart.") % {
                "days": MAX_RANGE_DAYS
            }
            raise serializers.ValidationError({"from": message}) from error
        attrs["filters"] = {name: attrs[name] for name in FILTERS if attrs.get(name)}
        return attrs


StatsQuery._declared_fields["from"] = serializers.DateField(
    required=False, help_text="first day of a range; default: 30 days before `to`"
)
