"""A category names the kind of department that handles it: the departments' own kinds, one list."""

from django.db import models

from accounts.models import Department
from cases.models import Category


def test_categories_choose_among_the_kinds_of_departments() -> None:
    for name in ("default_department_kind", "fallback_department_kind"):
        field = Category._meta.get_field(name)
        assert isinstance(field, models.CharField)
        assert field.choices == Department.Kind.choices
