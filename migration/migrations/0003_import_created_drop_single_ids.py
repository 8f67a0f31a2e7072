"""The single-id columns of ImportCreated go (their values moved into ``ids`` in 0002;
a separate migration, because PostgreSQL alters no table with pending trigger events)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("migration", "0002_import_created_id_lists"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="importcreated",
            name="extra",
        ),
        migrations.RemoveField(
            model_name="importcreated",
            name="object_id",
        ),
    ]
