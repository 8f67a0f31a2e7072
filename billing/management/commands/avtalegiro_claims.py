from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing import avtalegiro
from billing.management.options import club_named, parse_day


class Command(BaseCommand):
    help = (
        "AvtaleGiro claims (R-BIL-7): write the Nets claim file of the club's open AvtaleGiro "
        "invoices due far enough ahead of the date to OUT, and record the claims. Each "
        "invoice is claimed once: a second run writes nothing. Invoices too close to their "
        "due date (or whose payer's mandate ended) are sent again as ordinary invoices."
    )

    def add_arguments(self, parser):
        parser.add_argument("--club", metavar="SLUG", required=True, help="the club")
        parser.add_argument(
            "--date", metavar="YYYY-MM-DD", help="the day the file goes to Nets (default today)"
        )
        parser.add_argument("out", metavar="OUT", help="where to write the claim file")

    def handle(self, *args, club, out, date=None, **options):
        on_date = parse_day(date)
        found = club_named(club)
        path = Path(out)
        if path.exists():
            raise CommandError(f"{out} exists already; give a new file name.")
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        try:
            claim_file = avtalegiro.write_claims(found, on_date)
        except avtalegiro.AvtaleGiroError as exc:
            raise CommandError(str(exc)) from exc
        if claim_file is None:
            self.stdout.write(f"{found.slug}: nothing to claim on {on_date.isoformat()}.")
        else:
            with claim_file.file.open("rb") as fh:
                path.write_bytes(fh.read())
            self.stdout.write(
                f"{found.slug}: {claim_file.count} claim(s), {claim_file.total} NOK, "
                f"transmission {claim_file.transmission_number}, written to {out}"
            )
        moved = avtalegiro.send_unclaimable_as_invoices(found, on_date)
        if moved:
            numbers = ", ".join(str(i.number) for i in moved)
            self.stdout.write(
                f"{len(moved)} invoice(s) too late for AvtaleGiro sent as ordinary invoices: "
                f"{numbers}"
            )
