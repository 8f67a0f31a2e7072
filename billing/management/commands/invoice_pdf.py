from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from billing.management.options import club_named
from billing.models import Invoice
from billing.pdf import store_invoice_pdf


class Command(BaseCommand):
    help = (
        "Write an invoice's PDF to a file (R-BIL-6): the PDF as stored at issue, stored "
        "first if the invoice has none yet. An issued invoice's PDF is never rendered again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--club", metavar="SLUG", required=True, help="the club's short name")
        parser.add_argument("number", type=int, help="the invoice number")
        parser.add_argument("out", metavar="OUT.pdf", help="the file to write")

    def handle(self, *args, club, number, out, **options):
        found = club_named(club)
        with scopes_disabled():
            invoice = (
                Invoice.objects.filter(club=found, number=number).select_related("club").first()
            )
        if invoice is None:
            raise CommandError(f"Club {club!r} has no invoice number {number}.")
        target = Path(out)
        if not target.parent.is_dir():
            raise CommandError(f"The folder {str(target.parent)!r} does not exist.")
        store_invoice_pdf(invoice)
        with invoice.pdf.open("rb") as fh:
            data = fh.read()
        target.write_bytes(data)
        self.stdout.write(f"{target}: invoice {number} of {club}, {len(data):,} bytes")
