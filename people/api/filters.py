"""Filters of the people API lists."""

from datetime import timedelta
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from people.models import Flat, Rental, Shop, Visit
from people.selectors import LEASE_ENDING_DAYS


class FlatFilter(django_filters.FilterSet):
    building = django_filters.NumberFilter(field_name="unit__building")

    class Meta:
        model = Flat
        fields = ["building", "unit", "use"]


class RentalFilter(django_filters.FilterSet):
    building = django_filters.NumberFilter(field_name="flat__unit__building")
    ending = django_filters.BooleanFilter(
        method="filter_ending", label="Leases running that end within 30 days"
    )

    class Meta:
        model = Rental
        fields = ["flat", "building", "ending"]

    def filter_ending(self, queryset: QuerySet[Rental], name: str, value: Any) -> QuerySet[Rental]:
        if value is None:
            return queryset
        today = timezone.localdate()
        ending = queryset.filter(
            lease_start__lte=today,
            lease_end__gte=today,
            lease_end__lte=today + timedelta(days=LEASE_ENDING_DAYS),
        )
        return ending if value else queryset.exclude(pk__in=ending.values("pk"))


class ShopFilter(django_filters.FilterSet):
    class Meta:
        model = Shop
        fields = ["grid", "compound", "business"]


class VisitFilter(django_filters.FilterSet):
    class Meta:
        model = Visit
        fields = ["care_person", "place_checked"]
