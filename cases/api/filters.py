"""Filters of the case list, written out: django-filter's per-request form cost about as much as the rest
of a list page together (bench/cases_api.py). Every bad value is a 400 with the parameter named."""

from collections.abc import Callable, Mapping
from datetime import datetime, time
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from cases.models import Case, Category, Severity

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
    return moment


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


def _number(value: str) -> int:
    if not value.isdigit():
        raise ValueError(_("A number, please."))
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


# parameter: (parse the text, lookup on Case, description)
CASE_FILTERS: dict[str, tuple[Callable[[str], Any], Callable[[Any], Q], str]] = {
    "status": (_choice(list(Case.Status.values)), lambda v: Q(status__in=v),
               "status, or several: filed,dispatched"),
    "category": (_categories, lambda v: Q(category_id__in=v),
                 "category code (a major category includes its minors)"),
    "source": (_choice(list(Case.Source.values)), lambda v: Q(source__in=v), "source, or several"),
    "severity": (_choice(list(Severity.values)), lambda v: Q(severity__in=v), "severity, or several"),
    "grid": (_number, lambda v: Q(grid_id=v), "grid id"),
    "community": (_number, lambda v: Q(community_id=v), "community id"),
    "compound": (_number, lambda v: Q(compound_id=v), "compound id"),
    "overdue": (_boolean, lambda v: Q(overdue=v), "true or false"),
    "emergency": (_boolean, lambda v: Q(emergency=v), "true or false"),
    "assignee": (str, lambda v: Q(assignee_id=int(v)) if v.isdigit() else Q(assignee__username=v),
                 "assignee's username or id"),
    "department": (str, lambda v: Q(department_id=int(v)) if v.isdigit() else Q(department__code=v),
                   "department code or id"),
    "created_after": (lambda v: _moment(v, end=False), lambda v: Q(created_at__gte=v),
                      "date or date-time: created at or after"),
    "created_before": (lambda v: _moment(v, end=True), lambda v: Q(created_at__lte=v),
                       "date or date-time: created at or before (a date includes the whole day)"),
    "sensor_point": (str, lambda v: Q(sensor_code=v), "sensor point code"),
}  # fmt: skip


def case_filter(params: Mapping[str, str]) -> Q:
    """The Q of the list's query parameters; raises ValidationError naming every bad parameter."""
    condition = Q()
    errors: dict[str, list[str]] = {}
    for name, (parse, lookup, _description) in CASE_FILTERS.items():
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        try:
            condition &= lookup(parse(raw))
        except ValueError as error:
            errors[name] = [str(error)]
    if errors:
        raise ValidationError(errors)
    return condition


class CaseFilterBackend(BaseFilterBackend):
    def filter_queryset(self, request: Any, queryset: QuerySet[Any, Any], view: Any) -> QuerySet[Any, Any]:  # type: ignore[override]
        if getattr(view, "action", None) != "list":
            return queryset
        condition = case_filter(request.query_params)
        return queryset.filter(condition) if condition else queryset

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
