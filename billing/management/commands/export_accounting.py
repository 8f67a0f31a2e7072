"""python manage.py export_accounting --club SLUG --from D --to D --format csv|xlsx|journal OUT
(issue 8, R-BIL-12): the period's invoices, credit notes, payments and refunds with the
reconciliation (CSV or XLSX), or the bookkeeping journal (CSV). Dates as 2026-01-31 or
31.01.2026."""

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from billing import accounting, accounting_files
from billing.management.options import club_named, parse_day


class Command(BaseCommand):
    help = "Export a club's invoices, credit notes and payments of a period, or its journal."

    def add_arguments(self, parser):
        parser.add_argument("out", help="where to write")
        parser.add_argument("--club", required=True, help="the club's short name (slug)")
        parser.add_argument("--from", dest="start", required=True, help="first day")
        parser.add_argument("--to", dest="end", required=True, help="last day")
        parser.add_argument("--format", choices=accounting_files.FORMATS, default="csv")

    def handle(self, out, club, start, end, format, **options):
        start, end = parse_day(start), parse_day(end)
        if start > end:
            raise CommandError("The period's first day is after its last day.")
        if (end - start).days > accounting.MAX_DAYS:
            raise CommandError(f"A period is at most {accounting.MAX_DAYS} days.")
        target = club_named(club)
        with scope(club=target):
            accounting_files.write(out, target, start, end, format)
            recon = accounting.reconcile(target, start, end)
        self.stdout.write(
            f"Open at start {recon.opening} + invoiced {recon.invoiced} + reminder fees"
            f" {recon.fees} − credited {recon.credited} − paid {recon.paid}"
            f" = open at end {recon.closing}"
        )
        if not recon.balances:
            raise CommandError(
                f"The figures do not reconcile: expected {recon.expected_closing} open."
            )
        self.stdout.write(self.style.SUCCESS(f"Written to {out}."))
