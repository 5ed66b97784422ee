"""Input fields of the API that refuse what DRF's would take: `true` as a number, control characters in
text. Each refusal is a 400 naming the field, with a translated message."""

import re
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

# C0 and C1 control characters, DEL and the Unicode line and paragraph separators. Tab, line feed and
# carriage return are text in a multi-line field. (NUL and lone surrogates: DRF's CharField refuses them.)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
LINE_BREAK = re.compile(r"[\t\n\r]")


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first control character in `value` (as U+XXXX), or None."""
    found = CONTROL.search(value) or (None if multiline else LINE_BREAK.search(value))
    return f"U+{ord(found.group()):04X}" if found else None


class PlainTextField(serializers.CharField):
    """Text a person typed: no control characters (a single line unless `multiline`)."""

    default_error_messages = {
        "control": _("Control characters are not allowed here (found %(character)s)."),
    }

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        found = control_character(value, multiline=self.multiline)
        if found:
            raise serializers.ValidationError(
                self.error_messages["control"] % {"character": found}, "control"
            )
        return value


class NumberField(serializers.FloatField):
    """A number: JSON `true` and `false` are not numbers (float(True) is 1.0 in Python)."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(serializers.IntegerField):
    """A row's id: a positive integer that fits a 64-bit column (beyond it no row has it: 400, not 500)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)


def in_utc(moment: datetime) -> datetime:
    """An aware time in UTC: PostgreSQL refuses offsets beyond ±15:59 (ISO 8601 allows ±23:59). ValueError
    when it falls outside the years 1 to 9999 there."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(_("This time lies outside the years 1 to 9999.")) from None


class UtcIsoDateTimeField(IsoDateTimeField):
    """django-filter's ISO 8601 field, its value in UTC (see in_utc)."""

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return in_utc(moment)
        except ValueError as error:
            raise forms.ValidationError(str(error), code="invalid") from None
