"""Factories of the cases app. Cases in a given state are built directly (test setup, not workflow)."""

import factory
from django.utils import timezone

from cases.models import Case, Category
from tests.factories import CompoundFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"test-cat-{n}")
    name = factory.Sequence(lambda n: f"测试类别{n}")
    name_en = factory.Sequence(lambda n: f"Test category {n}")
    severity = "minor"
    default_department_kind = "property"
    clock_type = "urgent"
    file_limit = 30
    dispatch_limit = 30
    handle_limit = 120
    verify_limit = 60
    evidence_required = Category.Evidence.NONE


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    source = Case.Source.MANUAL
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"案件{n}")
    severity = "minor"
    priority = 2
    compound = factory.SubFactory(CompoundFactory)
    grid = factory.SelfAttribute("compound.grid")
    community = factory.SelfAttribute("compound.community")
    lat = factory.SelfAttribute("compound.centre_lat")
    lng = factory.SelfAttribute("compound.centre_lng")
    created_at = factory.LazyFunction(timezone.now)
    stage_started_at = factory.LazyFunction(timezone.now)
