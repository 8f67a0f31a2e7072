"""Migration services: run an import, roll a batch back, resolve review items (SPEC §4)."""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from members.models import Club
from migration.models import ImportBatch, ImportRow, ImportSource
from migration.pipeline import columns as cols
from migration.pipeline.importer import Importer
from migration.pipeline.reader import Extract, ReadError, read_sources

OUTCOMES = ("new", "matched", "merged", "review", "rejected")


class MigrationError(Exception):
    """The import cannot go on; the message says why, in plain words."""


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back; carries its result."""

    def __init__(self, batch, totals):
        super().__init__("dry run")
        self.batch, self.totals = batch, totals


def count_rows(sources: list[tuple[str, bytes]]) -> int:
    """Data rows of the member list, for the progress bar (a cheap first pass)."""
    extract = read_sources(sources)
    return sum(1 for _row in extract.members.rows)


def progress_key(batch_id: int) -> str:
    return f"import-progress:{batch_id}"


def get_progress(batch: ImportBatch) -> tuple[int, int]:
    return cache.get(progress_key(batch.pk), (0, 0))


def create_batch(club: Club, sources: list[tuple[str, bytes]], *, user=None) -> ImportBatch:
    """Check that the files can be read at all, then record the batch with its originals
    (R-MIG-9). Raises MigrationError with the reason when they cannot."""
    try:
        read_sources(sources)  # headers and columns are checked here, nothing is written
    except ReadError as exc:
        raise MigrationError(str(exc)) from exc
    name = ", ".join(n for n, _data in sources)
    with transaction.atomic():
        batch = ImportBatch.objects.create(club=club, created_by=user, name=name[:255])
        for source_name, data in sources:
            source = ImportSource(
                club=club,
                batch=batch,
                name=source_name[:255],
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
            source.file.save(source_name, ContentFile(data), save=False)
            source.save()
    return batch


def batch_sources(batch: ImportBatch) -> list[tuple[str, bytes]]:
    out = []
    for source in batch.sources.all():
        with source.file.open("rb") as fh:
            out.append((source.name, fh.read()))
    return out


def run_batch(batch: ImportBatch, *, progress: Callable[[int, int], None] | None = None) -> dict:
    """Import a recorded batch: one transaction; on failure the batch says why and
    nothing of it is written. Running a finished batch again does nothing."""
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        batch.refresh_from_db()
        return batch.totals
    sources = batch_sources(batch)
    total = count_rows(sources)

    def report(done: int, all_rows: int) -> None:
        cache.set(progress_key(batch.pk), (done, all_rows), 3600)
        if progress:
            progress(done, all_rows)

    report(0, total)
    try:
        with transaction.atomic():
            totals = Importer(
                batch.club, read_sources(sources), batch, user=batch.created_by, progress=report
            ).run(total)
    except (ReadError, MigrationError) as exc:
        _fail(batch, str(exc))
        raise MigrationError(str(exc)) from exc
    except Exception as exc:
        _fail(
            batch,
            _("The import stopped with an internal error; nothing was imported. (%(e)s)")
            % {"e": exc.__class__.__name__},
        )
        raise
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.DONE, totals=totals, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return totals


def _fail(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.FAILED, error=message, finished_at=timezone.now()
    )


def import_now(
    club: Club, sources: list[tuple[str, bytes]], *, user=None, dry_run=False, progress=None
):
    """The operator's path (``import_members``): the same pipeline, in this process.
    With ``dry_run`` everything runs and everything is rolled back (R-MIG-6)."""
    with scope(club=club):
        if not dry_run:
            batch = create_batch(club, sources, user=user)
            run_batch(batch, progress=progress)
            return batch, list(batch.rows.filter(sheet=cols.MEMBERS).select_related("person"))
        try:
            with transaction.atomic():
                batch = create_batch(club, sources, user=user)
                run_batch(batch, progress=progress)
                rows = list(batch.rows.filter(sheet=cols.MEMBERS).select_related("person"))
                raise DryRun(batch, rows)
        except DryRun as result:
            return result.batch, result.totals


def read_extract(path) -> Extract:
    from migration.pipeline.reader import read_path

    try:
        return read_path(path)
    except ReadError as exc:
        raise MigrationError(str(exc)) from exc


def member_totals(rows: list[ImportRow]) -> dict[str, int]:
    totals = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        totals[row.outcome] += 1
    return totals
