"""python manage.py export_invoices --club SLUG --format csv|xlsx FILE (issue 6, R-BIL-12)."""

from billing.exports import COLUMNS, invoice_rows
from members.exports import ExportCommand


class Command(ExportCommand):
    help = "Export a club's invoices and credit notes as CSV or XLSX for the accountant."
    sheet_title = "Fakturaer"
    counted = "invoices and credit notes"

    def export(self, club):
        return COLUMNS, invoice_rows(club)
