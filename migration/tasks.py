"""Celery tasks of the migration app: thin, idempotent, keyed by primary key."""

from celery import shared_task
from django_scopes import scope, scopes_disabled

from migration import services
from migration.models import ImportBatch


@shared_task(name="migration.run_import", acks_late=True)
def run_import(batch_id: int) -> dict:
    with scopes_disabled():
        batch = ImportBatch.objects.select_related("club").filter(pk=batch_id).first()
    if batch is None:
        return {}
    with scope(club=batch.club):
        try:
            return services.run_batch(batch)
        except services.MigrationError:
            return {}  # the batch records why; nothing to retry
