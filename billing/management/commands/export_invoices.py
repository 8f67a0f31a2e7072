"""python manage.py export_invoices --club SLUG --format csv|xlsx FILE (issue 6, R-BIL-12)."""

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope, scopes_disabled

from billing.exports import COLUMNS, invoice_rows
from members import exports
from members.models import Club


class Command(BaseCommand):
    help = "Export a club's invoices and credit notes as CSV or XLSX for the accountant."

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write")
        parser.add_argument("--club", required=True, help="the club's short name (slug)")
        parser.add_argument("--format", choices=["csv", "xlsx"], default=None)

    def handle(self, file, club, format, **options):
        fmt = format or ("xlsx" if file.lower().endswith(".xlsx") else "csv")
        with scopes_disabled():
            target = Club.objects.filter(slug=club).first()
        if target is None:
            raise CommandError(f"There is no club '{club}'.")
        written = 0

        def counted():
            nonlocal written
            for row in invoice_rows(target):
                written += 1
                yield row

        with scope(club=target):
            exports.write_file(file, fmt, COLUMNS, counted(), title="Fakturaer")
        self.stdout.write(
            self.style.SUCCESS(f"{written} invoices and credit notes written to {file}.")
        )
