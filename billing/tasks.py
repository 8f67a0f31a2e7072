"""Celery tasks of billing: thin, idempotent, keyed by primary key."""

from datetime import date

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import reminders, services
from billing.models import InvoiceRun
from billing.pdf.tasks import issue_credit_note, issue_invoices  # the pdf queue's tasks
from members.models import Club


@shared_task(name="billing.run_invoices", acks_late=True)
def run_invoices(
    club_id: int, run_date: str | None = None, user_id: int | None = None, send: bool = False
) -> int:
    """One club's invoice run (on demand or from the daily beat); repeating it is harmless
    (R-BIL-4). ``send``: the run's invoices are to be sent. Returns the number of invoices
    made."""
    with scopes_disabled():
        club = Club.objects.get(pk=club_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    day = date.fromisoformat(run_date) if run_date else timezone.localdate()
    return services.run_invoices(club, day, by=user, send=send).invoices


@shared_task(name="billing.daily_runs")
def daily_runs() -> int:
    """Celery beat, once a day: queue today's run for each club that has made its first
    run by hand (after the preview, R-BIL-11); a club fresh from migration is never
    billed without the admin's first look. The daily run sends what it bills (the
    invoices are e-mailed, or wait on the list for the post). Returns the number of
    clubs queued."""
    today = timezone.localdate().isoformat()
    with scopes_disabled():
        club_ids = list(
            InvoiceRun.objects.filter(status=InvoiceRun.Status.FINISHED)
            .values_list("club_id", flat=True)
            .distinct()
        )
    for club_id in club_ids:
        run_invoices.delay(club_id, today, send=True)
    return len(club_ids)


@shared_task(name="billing.send_reminders", acks_late=True)
def send_reminders(club_id: int, on_date: str | None = None) -> int:
    """One club's reminders for ``on_date`` (default today), R-BIL-10; repeating it sends
    nothing twice. Returns the number of reminders written."""
    with scopes_disabled():
        club = Club.objects.get(pk=club_id)
    day = date.fromisoformat(on_date) if on_date else timezone.localdate()
    return reminders.send_reminders(club, day).reminders


@shared_task(name="billing.send_reminders_daily")
def send_reminders_daily() -> int:
    """Celery beat, once a day: queue today's reminders for each club with a reminder
    schedule. Returns the number of clubs queued."""
    today = timezone.localdate().isoformat()
    with scopes_disabled():
        club_ids = list(Club.objects.exclude(reminder_days="").values_list("pk", flat=True))
    for club_id in club_ids:
        send_reminders.delay(club_id, today)
    return len(club_ids)


__all__ = [
    "daily_runs",
    "issue_credit_note",
    "issue_invoices",
    "run_invoices",
    "send_reminders",
    "send_reminders_daily",
]
