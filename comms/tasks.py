"""Celery tasks of the outbox: thin, idempotent, keyed by primary key."""

from celery import current_app as app
from celery import shared_task
from django.conf import settings

from comms import services


@shared_task(
    name="comms.send_message",
    bind=True,
    acks_late=True,
    max_retries=None,
    rate_limit=settings.COMMS_RATE_LIMIT or None,
)
def send_message(self, message_id: int) -> None:
    """Send one outbox message; a temporary failure comes back after its backoff (the
    row holds the due time too, so the sweep finds it if this retry is lost)."""
    retry_in = services.send_message(message_id)
    if retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=retry_in)


@shared_task(name="comms.dispatch_batch", acks_late=True)
def dispatch_batch(batch_id: int) -> int:
    """Queue the sends of a bulk batch (one task per message, one broker connection)."""
    return services.dispatch_batch(batch_id)


@shared_task(name="comms.sweep_stuck")
def sweep_stuck() -> int:
    """Celery beat: queue again messages stuck in ``queued`` (CELERY_BEAT_SCHEDULE)."""
    return services.sweep_stuck()


__all__ = ["app", "dispatch_batch", "send_message", "sweep_stuck"]
