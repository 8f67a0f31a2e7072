from django.core.management.base import BaseCommand

from billing import services
from billing.management.options import clubs_named, parse_day


class Command(BaseCommand):
    help = (
        "Invoice run (R-BIL-4): bill every agreement due on or before the date, one invoice "
        "per recipient. Safe to repeat: a second run on the same date bills nothing twice. "
        "The invoices' PDFs are made on the pdf queue and e-mailed to recipients with an "
        "e-mail address (the others wait on the list for the post), unless --no-send."
    )

    def add_arguments(self, parser):
        parser.add_argument("--club", metavar="SLUG", help="only this club (default: all clubs)")
        parser.add_argument(
            "--date",
            metavar="YYYY-MM-DD",
            help="the run date (default today); agreements due on or before it are billed",
        )
        parser.add_argument(
            "--no-send",
            action="store_true",
            help="make the invoices and their PDFs without e-mailing them",
        )

    def handle(self, *args, club=None, date=None, no_send=False, **options):
        run_date = parse_day(date)
        for c in clubs_named(club):
            run = services.run_invoices(c, run_date, send=not no_send)
            self.stdout.write(
                f"{c.slug}: {run.invoices} invoice(s), {run.amount} NOK, "
                f"{run.total} recipient(s) due on {run_date.isoformat()}"
                + ("" if no_send else ", sent")
            )
