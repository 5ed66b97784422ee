"""Permissions and admin history point at content types: the moved models keep theirs, relabelled."""

from django.db import migrations


def relabel(apps, schema_editor, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("user", "department"):
        if not content_type.objects.using(schema_editor.connection.alias).filter(app_label=new, model=model).exists():
            content_type.objects.using(schema_editor.connection.alias).filter(app_label=old, model=model).update(
                app_label=new
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, editor: relabel(apps, editor, "command_center", "accounts"),
            lambda apps, editor: relabel(apps, editor, "accounts", "command_center"),
        ),
    ]
