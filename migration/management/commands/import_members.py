"""python manage.py import_members --club SLUG PATH [--dry-run] [--report FILE] (R-MIG-1)."""

import csv
import sys

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scopes_disabled

from members.models import Club
from migration import services
from migration.pipeline.reader import ReadError


class Command(BaseCommand):
    help = "Import a federation extract (folder, .xlsx or members CSV) into a club."

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="a folder with members.csv/groups.csv/waitlist.csv, an .xlsx, or a CSV"
        )
        parser.add_argument("--club", required=True, help="the club's short name (slug)")
        parser.add_argument("--dry-run", action="store_true", help="run everything, write nothing")
        parser.add_argument("--report", help="write a CSV with one line per data row")

    def handle(self, path, club, dry_run, report, **options):
        with scopes_disabled():
            target = Club.objects.filter(slug=club).first()
        if target is None:
            raise CommandError(f"There is no club '{club}'.")
        try:
            extract = services.read_extract(path)
        except services.MigrationError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        progress = ProgressBar(self.stderr) if sys.stderr.isatty() else None
        try:
            batch, rows = services.import_now(
                target, extract.sources, dry_run=dry_run, progress=progress, report=bool(report)
            )
        except (services.MigrationError, ReadError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if progress:
            progress.close()
        totals = services.member_totals(batch)
        if report:
            write_report(report, rows)
        self.stdout.write(
            ("Dry run, nothing written. " if dry_run else "") + f"{sum(totals.values())} data rows:"
        )
        for outcome, n in totals.items():
            self.stdout.write(f"  {outcome:9} {n}")
        for sheet, counts in (batch.totals or {}).items():
            if sheet != "members":
                self.stdout.write(f"{sheet}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"Import {batch.pk} done."))


def write_report(path: str, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "member_no", "outcome", "person_id", "reason"])
        writer.writerows(rows)


class ProgressBar:
    def __init__(self, stream, width: int = 40):
        self.stream, self.width = stream, width

    def __call__(self, done: int, total: int) -> None:
        filled = int(self.width * done / total) if total else self.width
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} rows")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
