from django.db import migrations

from people.constants import CARE_CATEGORIES


def add_categories(apps, schema_editor):  # type: ignore[no-untyped-def]
    category = apps.get_model("people", "CareCategory")
    for order, (code, name, days) in enumerate(CARE_CATEGORIES):
        category.objects.get_or_create(
            code=code, defaults={"name": name, "visit_interval_days": days, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0003_care")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
