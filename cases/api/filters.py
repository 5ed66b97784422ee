from datetime import datetime, time

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category, Severity


def _moment(value: str, *, end: bool) -> datetime:
    """A date (the whole day, local time) or a date-time with or without offset."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValidationError(
                _("Use a date (2026-11-21) or a date and time (2026-11-21T08:00:00+08:00).")
            )
        moment = datetime.combine(day, time.max if end else time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class CaseFilter(django_filters.FilterSet):
    """?status=filed,dispatched&category=fire-smoke&source=sensor&grid=3&community=1&severity=critical&
    overdue=true&assignee=<username>&department=<code>&created_after=2026-11-01&created_before=2026-11-30&
    sensor_point=<code>."""

    status = django_filters.CharFilter(method="filter_status")
    category = django_filters.CharFilter(method="filter_category")
    source = django_filters.ChoiceFilter(choices=Case.Source.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    grid = django_filters.NumberFilter(field_name="grid_id")
    community = django_filters.NumberFilter(field_name="community_id")
    compound = django_filters.NumberFilter(field_name="compound_id")
    overdue = django_filters.BooleanFilter()
    emergency = django_filters.BooleanFilter()
    assignee = django_filters.CharFilter(method="filter_assignee")
    department = django_filters.CharFilter(method="filter_department")
    created_after = django_filters.CharFilter(method="filter_created_after")
    created_before = django_filters.CharFilter(method="filter_created_before")
    sensor_point = django_filters.CharFilter(field_name="sensor_code")

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        statuses = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in statuses if item not in Case.Status.values]
        if unknown:
            raise ValidationError(
                _("Unknown status %(status)s; use: %(choices)s.")
                % {"status": ", ".join(unknown), "choices": ", ".join(Case.Status.values)}
            )
        return queryset.filter(status__in=statuses)

    def filter_category(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        # A major category's code lists its minor categories' cases too.
        ids = list(
            Category.objects.filter(Q(code=value) | Q(parent__code=value)).values_list("pk", flat=True)
        )
        return queryset.filter(category_id__in=ids)

    def filter_assignee(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return (
            queryset.filter(assignee_id=int(value))
            if value.isdigit()
            else queryset.filter(assignee__username=value)
        )

    def filter_department(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if value.isdigit():
            return queryset.filter(department_id=int(value))
        return queryset.filter(department__code=value)

    def filter_created_after(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(created_at__gte=_moment(value, end=False))

    def filter_created_before(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(created_at__lte=_moment(value, end=True))
