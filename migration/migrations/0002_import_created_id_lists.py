"""ImportCreated keeps lists of ids (one row per kind and chunk) instead of one row per
created object; existing rows are carried over."""

from django.db import migrations, models


def to_lists(apps, schema_editor):
    ImportCreated = apps.get_model("migration", "ImportCreated")
    grouped: dict[tuple[int, str], list] = {}
    for batch_id, kind, object_id, extra in ImportCreated.objects.values_list(
        "batch_id", "kind", "object_id", "extra"
    ).order_by("pk"):
        item = [object_id, extra] if kind == "guardian_link" else object_id
        grouped.setdefault((batch_id, kind), []).append(item)
    ImportCreated.objects.all().delete()
    ImportCreated.objects.bulk_create(
        ImportCreated(batch_id=batch_id, kind=kind, object_id=0, ids=ids)
        for (batch_id, kind), ids in grouped.items()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("migration", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="importcreated",
            name="ids",
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(to_lists, migrations.RunPython.noop),
    ]
