"""An index for the member overview's Norwegian name order (PostgreSQL only: SQLite has
no ICU collations, and the demo runs on SQLite)."""

from django.db import migrations

CREATE = (
    'CREATE INDEX IF NOT EXISTS person_name_nb ON members_person '
    '(last_name_key COLLATE "nb-NO-x-icu", first_name_key COLLATE "nb-NO-x-icu")'
)
DROP = "DROP INDEX IF EXISTS person_name_nb"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("members", "0003_membership_club_category")]
    operations = [migrations.RunPython(forwards, backwards)]
