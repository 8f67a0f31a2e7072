from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing import ocr
from billing.management.options import club_named


class Command(BaseCommand):
    help = (
        "Import an OCR Giro file from Nets (R-BIL-7): each payment is recorded and matched "
        "by KID to its invoice; a payment that matches nothing waits on the club's list of "
        "unmatched payments. The same file twice records nothing twice. Prints the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--club", metavar="SLUG", required=True, help="the club's short name")
        parser.add_argument("file", metavar="FILE", help="the OCR file from Nets")

    def handle(self, *args, club, file, **options):
        found = club_named(club)
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        try:
            payment_file = ocr.import_ocr(found, data, path.name)
        except ocr.OcrError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{found.slug}: {path.name}: {payment_file.transactions} transaction(s), "
            f"{payment_file.matched} matched, {payment_file.unmatched} unmatched, "
            f"{payment_file.duplicates} duplicate(s), total {payment_file.total} NOK"
        )
        changes = ocr.mandate_summary(payment_file.mandates)
        if changes:
            self.stdout.write(f"{found.slug}: {changes}")
