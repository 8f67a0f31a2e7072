from django.core.management.base import BaseCommand

from billing import reminders
from billing.management.options import clubs_named, parse_day
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
        on_date = parse_day(date)
        for c in clubs_named(club, everyone=Club.objects.exclude(reminder_days="")):
            done = reminders.send_reminders(c, on_date)
            self.stdout.write(
                f"{c.slug}: {done.reminders} reminder(s) on {on_date.isoformat()}, "
                f"{done.emails} e-mail(s), {done.sms} SMS, {done.for_post} payer(s) for the "
                f"post, fees {done.fees} NOK"
                + (f", {done.skipped} paid or credited meanwhile" if done.skipped else "")
            )
