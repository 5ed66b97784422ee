import hashlib

from django.db import migrations, models

KEPT_BYTES = 4096


def measure_existing(apps, schema_editor):
    """The size and hash of the dead letters stored so far, and only their first 4 KiB kept."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE devices_deadletter SET size = octet_length(payload),"
            " sha256 = encode(sha256(payload), 'hex'), payload = substring(payload FROM 1 FOR %s)",
            [KEPT_BYTES],
        )
        return
    DeadLetter = apps.get_model("devices", "DeadLetter")
    ids = list(DeadLetter.objects.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), 500):
        for pk, payload in DeadLetter.objects.filter(id__in=ids[start : start + 500]).values_list("id", "payload"):
            payload = bytes(payload)
            DeadLetter.objects.filter(pk=pk).update(
                size=len(payload), sha256=hashlib.sha256(payload).hexdigest(), payload=payload[:KEPT_BYTES]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0002_inbox_hot_processed_mark"),
    ]

    operations = [
        migrations.AddField(
            model_name="deadletter",
            name="sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="SHA-256"),
        ),
        migrations.AddField(
            model_name="deadletter",
            name="size",
            field=models.PositiveIntegerField(default=0, verbose_name="size (bytes)"),
        ),
        migrations.AlterField(
            model_name="deadletter",
            name="payload",
            field=models.BinaryField(help_text="The first 4 KiB.", verbose_name="payload"),
        ),
        migrations.RunPython(measure_existing, migrations.RunPython.noop, elidable=True),
    ]
