"""Filters of the case list, written out: django-filter's per-request form cost about as much as the rest
of a list page together (bench/cases_api.py). Every bad value is a 400 with the parameter named.

Each filter is a condition in SQL on the case table: cases.selectors.CaseListQuery runs the list without
compiling a queryset per page."""

from collections.abc import Callable, Mapping
from datetime import datetime, time
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from cases import db
from cases.db import Condition
from cases.models import Case, Category, Severity
from cases.selectors import CaseListQuery
from command_center.api.fields import control_character, in_utc

TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def _moment(value: str, *, end: bool) -> datetime:
    """A date (the whole day, local time) or a date-time with or without offset."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(_("Use a date (2026-11-21) or a date and time (2026-11-21T08:00:00+08:00)."))
        moment = datetime.combine(day, time.max if end else time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return in_utc(moment)


def _choice(choices: list[str]) -> Callable[[str], Q]:
    def parse(value: str) -> list[str]:
        values = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in values if item not in choices]
        if unknown or not values:
            raise ValueError(
                _("Unknown value %(value)s; use: %(choices)s.")
                % {"value": ", ".join(unknown) or value, "choices": ", ".join(choices)}
            )
        return values

    return parse  # type: ignore[return-value]


MAX_ID = 2**63 - 1  # ids are 64-bit columns: a larger number names no row (and the database refuses it)


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and int(value) <= MAX_ID


def _number(value: str) -> int:
    if not _is_id(value):
        raise ValueError(_("An id, please: a whole number from 0 to %(max)s.") % {"max": MAX_ID})
    return int(value)


def _boolean(value: str) -> bool:
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise ValueError(_("true or false, please."))


def _categories(value: str) -> list[int]:
    # A major category's code lists its minor categories' cases too.
    return list(Category.objects.filter(Q(code=value) | Q(parent__code=value)).values_list("pk", flat=True))


def _equals(name: str) -> Callable[[Any], Condition]:
    return lambda value: db.equals(name, value)


def _among(name: str) -> Callable[[list[Any]], Condition]:
    return lambda values: db.among(name, values)


def _by_id_or(name: str, table: str, key: str) -> Callable[[str], Condition]:
    """An id, or else a code or username looked up in `table`."""

    def condition(value: str) -> Condition:
        if _is_id(value):
            return db.equals(name, int(value))
        return db.related_by_key(name, table, key, value)

    return condition


# parameter: (parse the text, condition on the case table, description)
CASE_FILTERS: dict[str, tuple[Callable[[str], Any], Callable[[Any], Condition], str]] = {
    "status": (_choice(list(Case.Status.values)), _among("status"), "status, or several: filed,dispatched"),
    "category": (_categories, _among("category"), "category code (a major category includes its minors)"),
    "source": (_choice(list(Case.Source.values)), _among("source"), "source, or several"),
    "severity": (_choice(list(Severity.values)), _among("severity"), "severity, or several"),
    "grid": (_number, _equals("grid"), "grid id"),
    "community": (_number, _equals("community"), "community id"),
    "compound": (_number, _equals("compound"), "compound id"),
    "overdue": (_boolean, _equals("overdue"), "true or false"),
    "emergency": (_boolean, _equals("emergency"), "true or false"),
    "assignee": (str, _by_id_or("assignee", "command_center_user", "username"), "assignee's username or id"),
    "department": (str, _by_id_or("department", "command_center_department", "code"),
                   "department code or id"),
    "created_after": (lambda v: _moment(v, end=False),
                      lambda v: db.created(">=", v),
                      "date or date-time: created at or after"),
    "created_before": (lambda v: _moment(v, end=True),
                       lambda v: db.created("<=", v),
                       "date or date-time: created at or before (a date includes the whole day)"),
    "sensor_point": (str, _equals("sensor_code"), "sensor point code"),
}  # fmt: skip


def case_conditions(params: Mapping[str, str]) -> list[Condition]:
    """The SQL conditions of the list's query parameters; raises ValidationError naming every bad one."""
    conditions: list[Condition] = []
    errors: dict[str, list[str]] = {}
    for name, (parse, condition, _description) in CASE_FILTERS.items():
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        found = control_character(raw)
        if found:
            message = _("Control characters are not allowed here (found %(character)s).")
            errors[name] = [message % {"character": found}]
            continue
        try:
            conditions.append(condition(parse(raw)))
        except ValueError as error:
            errors[name] = [str(error)]
    if errors:
        raise ValidationError(errors)
    return conditions


class CaseFilterBackend(BaseFilterBackend):
    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if not isinstance(queryset, CaseListQuery):  # other actions, the schema generator's stand-in view
            return queryset
        return queryset.where(case_conditions(request.query_params))

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": "string"},
            }
            for name, (_parse, _lookup, description) in CASE_FILTERS.items()
        ]
