from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import reminders
from members.models import Club


class Command(BaseCommand):
    help = (
        "Reminders of overdue invoices (R-BIL-10) by each club's schedule: one e-mail (and "
        "SMS, if the club wants it) per payer, a fee only where the regulation allows it. "
        "Safe to repeat: a reminder level is never sent twice for an invoice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--club", metavar="SLUG", help="only this club (default: every club with a schedule)"
        )
        parser.add_argument(
            "--date", metavar="YYYY-MM-DD", help="the day the reminders are sent (default today)"
        )

    def handle(self, *args, club=None, date=None, **options):
        on_date = self._parse_date(date) if date else timezone.localdate()
        with scopes_disabled():
            clubs = Club.objects.order_by("slug")
            if club:
                clubs = clubs.filter(slug=club)
                if not clubs.exists():
                    raise CommandError(f"No club with the short name {club!r}.")
            else:
                clubs = clubs.exclude(reminder_days="")
            clubs = list(clubs)
        for c in clubs:
            done = reminders.send_reminders(c, on_date)
            self.stdout.write(
                f"{c.slug}: {done.reminders} reminder(s) on {on_date.isoformat()}, "
                f"{done.emails} e-mail(s), {done.sms} SMS, {done.for_post} payer(s) for the "
                f"post, fees {done.fees} NOK"
                + (f", {done.skipped} paid or credited meanwhile" if done.skipped else "")
            )

    @staticmethod
    def _parse_date(value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}.") from exc
