"""Migration services: run an import, roll a batch back, resolve review items (SPEC §4)."""

import hashlib
from collections.abc import Callable
from datetime import date
from typing import NamedTuple

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scope

from billing import automatic as billing_agreements
from billing import avtalegiro as billing_avtalegiro
from members import identity
from members.models import (
    Club,
    ClubRole,
    Group,
    GroupMember,
    Membership,
    MembershipCategory,
    Person,
    WaitlistEntry,
)
from migration.models import ImportBatch, ImportRow, ImportSource
from migration.pipeline import columns as cols
from migration.pipeline.chunks import RowWork
from migration.pipeline.importer import Importer, collector_paused
from migration.pipeline.match import MATCHED, NEW, Decision
from migration.pipeline.normalise import Checked
from migration.pipeline.persons import new_person
from migration.pipeline.reader import (
    Extract,
    ReadError,
    count_member_rows,
    read_path,
    read_sources,
)

OUTCOMES = ("new", "matched", "merged", "review", "rejected")


class MigrationError(Exception):
    """The import cannot go on; the message says why, in plain words."""


class DryRun(Exception):
    """Raised inside the transaction to roll a dry run back; carries its result."""

    def __init__(self, batch, lines):
        super().__init__("dry run")
        self.batch, self.lines = batch, lines


def count_rows(sources: list[tuple[str, bytes]]) -> int:
    """Data rows of the member list, for the progress bar (a cheap first pass)."""
    return count_member_rows(sources)


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
    cache.delete(progress_key(batch.pk))  # ids can repeat after a database reset
    return batch


def batch_sources(batch: ImportBatch) -> list[tuple[str, bytes]]:
    out = []
    for source in batch.sources.all():
        with source.file.open("rb") as fh:
            out.append((source.name, fh.read()))
    return out


def run_batch(
    batch: ImportBatch,
    *,
    progress: Callable[[int, int], None] | None = None,
    sources: list[tuple[str, bytes]] | None = None,
) -> dict:
    """Import a recorded batch in one transaction that also holds the batch's row lock.

    A second worker (or a redelivered task) skips a batch that is being imported and
    does nothing for one that is done; a crash rolls everything back, the batch is
    queued again and can simply be run again. On a refusal the batch says why.

    ``sources``: the files just recorded with the batch, from a caller that holds them
    (``import_now``); read back from storage otherwise. (A second copy of a large
    extract in memory was a twentieth of the import's peak.)
    """
    sources = batch_sources(batch) if sources is None else sources
    try:
        total = count_rows(sources)
    except ReadError as exc:
        _fail(batch, str(exc))
        raise MigrationError(str(exc)) from exc

    def report(done: int, all_rows: int) -> None:
        cache.set(progress_key(batch.pk), (done, all_rows), 3600)
        if progress:
            progress(done, all_rows)

    try:
        with collector_paused(), transaction.atomic():  # the run's, and what comes after it
            locked = (
                ImportBatch.objects.select_for_update(skip_locked=True)
                .filter(pk=batch.pk, status=ImportBatch.Status.QUEUED)
                .first()
            )
            if locked is None:
                batch.refresh_from_db()
                return batch.totals
            report(0, total)
            importer = Importer(
                locked.club, read_sources(sources), locked, user=locked.created_by, progress=report
            )
            locked.totals = importer.run(total)
            # Betalingsmåte AvtaleGiro: the members are known to the run (the batch's
            # rows need not be read back)
            billing_avtalegiro.mandates_for_members(locked.club, importer.avtalegiro)
            locked.status = ImportBatch.Status.DONE
            locked.started_at = locked.started_at or timezone.now()
            locked.finished_at = timezone.now()
            locked.error = ""
            locked.save()
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
    batch.refresh_from_db()
    return batch.totals


def retry_batch(batch: ImportBatch) -> bool:
    """Queue a failed import again (after a crash or a fixed bug); True when queued."""
    cache.delete(progress_key(batch.pk))
    return bool(
        ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.FAILED).update(
            status=ImportBatch.Status.QUEUED, error=""
        )
    )


def _fail(batch: ImportBatch, message: str) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.FAILED, error=message, finished_at=timezone.now()
    )


def import_now(
    club: Club,
    sources: list[tuple[str, bytes]],
    *,
    user=None,
    dry_run=False,
    progress=None,
    report=True,
):
    """The operator's path (``import_members``): the same pipeline, in this process;
    returns the batch and, with ``report``, its ``report_lines`` (else None: a large
    extract's rows are not read back for nothing). With ``dry_run`` everything runs and
    everything is rolled back (R-MIG-6)."""

    def lines(batch: ImportBatch) -> list[ReportLine] | None:
        return report_lines(batch) if report else None

    with scope(club=club):
        if not dry_run:
            batch = create_batch(club, sources, user=user)
            run_batch(batch, progress=progress, sources=sources)
            return batch, lines(batch)
        stored = []  # the rollback undoes the rows, not the files in storage
        try:
            with transaction.atomic():
                batch = create_batch(club, sources, user=user)
                stored = [source.file for source in batch.sources.all()]
                run_batch(batch, progress=progress, sources=sources)
                raise DryRun(batch, lines(batch))
        except DryRun as result:
            return result.batch, result.lines
        finally:
            for file in stored:
                file.storage.delete(file.name)


def read_extract(path) -> Extract:
    try:
        return read_path(path)
    except ReadError as exc:
        raise MigrationError(str(exc)) from exc


class ReportLine(NamedTuple):
    """One data row of the member list as the operator's report shows it."""

    row: int
    member_no: str
    outcome: str
    person_id: str  # the Person's public id; empty for review and rejected
    reason: str


def report_lines(batch: ImportBatch) -> list[ReportLine]:
    """The report, read as plain tuples (a 100,000-row extract stays small in memory)."""
    rows = (
        batch.rows.filter(sheet=cols.MEMBERS)
        .order_by("row_number")
        .values_list("row_number", "member_no", "outcome", "person__public_id", "reason")
    )
    linked = {"new", "matched", "merged"}
    with collector_paused():  # plain tuples, no cycles: full collections only cost
        return [
            ReportLine(n, no, outcome, str(pid) if pid and outcome in linked else "", reason)
            for n, no, outcome, pid, reason in rows.iterator(chunk_size=5000)
        ]


def member_totals(batch: ImportBatch) -> dict[str, int]:
    """The member rows' outcomes as counted by the run, every outcome named."""
    return {**dict.fromkeys(OUTCOMES, 0), **(batch.totals or {}).get(cols.MEMBERS, {})}


# --- review (R-MIG-4) ------------------------------------------------------------------
class ReviewError(MigrationError):
    pass


def resolve_review(row: ImportRow, *, user, person_id: int | None = None) -> ImportRow:
    """Link a review row to one of its candidates (``person_id``) or, without one, create
    a new person from the row. Then the row's membership, groups and guardians are
    written as the import would have. A row is resolved once."""
    with transaction.atomic():
        row = ImportRow.objects.select_for_update().get(pk=row.pk)
        if row.outcome != ImportRow.Outcome.REVIEW or row.resolved_at:
            raise ReviewError(_("This row has been resolved already."))
        if row.batch.status != ImportBatch.Status.DONE:
            raise ReviewError(_("The import of this row is not active."))
        values = dict(row.values)
        for key in ("birth_date", "next_billing_date", "joined", "registered"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        importer = Importer(row.club, None, row.batch, user=user)
        if person_id is not None:
            if person_id not in row.candidates:
                raise ReviewError(_("That person is not one of this row's candidates."))
            person = Person.objects.get(pk=person_id)
            decision = Decision(
                MATCHED,
                _("Linked by %(user)s after review.") % {"user": user},
                person_pk=person.pk,
                rule="review",
            )
            ref = person.pk
        else:
            decision = Decision(
                NEW,
                _("Created as a new person by %(user)s after review.") % {"user": user},
                rule="review",
            )
            _drop_taken_national_id(row, values)
            ref = new_person(values) if row.sheet == cols.MEMBERS else None
        if row.sheet == cols.MEMBERS:
            work = RowWork(
                row.row_number, row.raw, Checked(values=values), decision=decision, person=ref
            )
            importer.apply_rows([work])
            row.person_id = work.person if isinstance(work.person, int) else work.person.pk
        else:
            row.person_id = importer.place_on_waitlist(values, ref)
        importer.writer.drain()
        row.outcome = decision.outcome
        row.reason = f"{row.reason} → {decision.reason}"
        row.resolved_at = timezone.now()
        row.resolved_by = user
        row.save()
        if row.sheet == cols.MEMBERS:
            billing_avtalegiro.mandates_from_import(row.batch, [row.person_id])
    return row


def _drop_taken_national_id(row: ImportRow, values: dict) -> None:
    """ "Not the same person" while the number belongs to the registered person: the new
    person is created without it, and the data-quality page asks for the right one."""
    number = values.get("national_id")
    if (
        number
        and Person.objects.filter(national_id_hash=identity.national_id_hash(number)).exists()
    ):
        values["national_id"] = ""
        row.values = {**row.values, "national_id": ""}
        message = _(
            "The national id number belongs to another registered person and was not stored."
        )
        row.problems = [
            *row.problems,
            {
                "field": "national_id",
                "code": "national_id_taken",
                "message": message,
                "severity": "warning",
            },
        ]
        row.codes = ",".join(sorted({*filter(None, row.codes.split(",")), "national_id_taken"}))


def open_review_rows(club: Club):
    return (
        ImportRow.objects.filter(
            club=club, outcome=ImportRow.Outcome.REVIEW, resolved_at__isnull=True
        )
        .exclude(batch__status=ImportBatch.Status.ROLLED_BACK)
        .select_related("batch")
        .order_by("batch__created_at", "sheet", "row_number")
    )


# --- rollback (R-MIG-5) ----------------------------------------------------------------
def rollback_blockers(batch: ImportBatch) -> list[str]:
    """Why the batch can no longer be rolled back; empty when it can."""
    if batch.status != ImportBatch.Status.DONE:
        return [_("Only a finished import can be rolled back.")]
    created = _created_ids(batch)
    reasons = []
    memberships = Membership.objects.filter(pk__in=created.get("membership", []))
    changed = [m for m in memberships if m.history.count() > 1]
    if changed:
        reasons.append(
            _("%(n)s of its memberships have changed since (for example verified or cancelled).")
            % {"n": len(changed)}
        )
    people = created.get("person", [])
    with_other = Person.objects.filter(pk__in=people).filter(
        Q(user__isnull=False)
        | Q(
            memberships__in=Membership.objects.exclude(pk__in=created.get("membership", [])).values(
                "pk"
            )
        )
    )
    if with_other.exists():
        reasons.append(
            _("Persons it created are now used elsewhere (another membership or a login).")
        )
    later = ImportBatch.objects.filter(
        club=batch.club, created_at__gt=batch.created_at, status=ImportBatch.Status.DONE
    )
    if later.exists():
        reasons.append(_("A later import exists; roll that back first."))
    billed = billing_agreements.rollback_check(people, created.get("membership", []))
    if billed.invoices:
        reasons.append(
            ngettext(
                "Its members have been invoiced: %(n)s invoice exists. Invoices are never "
                "deleted, so the import stays; correct the members instead.",
                "Its members have been invoiced: %(n)s invoices exist. Invoices are never "
                "deleted, so the import stays; correct the members instead.",
                billed.invoices,
            )
            % {"n": billed.invoices}
        )
    if billed.paying_for_others:
        reasons.append(
            _("Persons it created pay for other members' agreements (%(n)s).")
            % {"n": billed.paying_for_others}
        )
    return reasons


def rollback_batch(batch: ImportBatch, *, user) -> None:
    """Remove everything the batch created, newest first; its rows stay for the audit."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if reasons := rollback_blockers(batch):
            raise MigrationError(" ".join(reasons))
        created = _created_ids(batch)
        # agreements made for its members that never billed anything go with them
        billing_agreements.remove_uncharged(
            created.get("person", []), created.get("membership", [])
        )
        WaitlistEntry.objects.filter(pk__in=created.get("waitlist", [])).delete()
        GroupMember.objects.filter(pk__in=created.get("group_member", [])).delete()
        Membership.objects.filter(pk__in=created.get("membership", [])).delete()
        Through = Person.guardians.through
        for child, guardian in created.get("guardian_link", []):
            Through.objects.filter(from_person_id=child, to_person_id=guardian).delete()
        Person.objects.filter(pk__in=created.get("person", [])).delete()
        ClubRole.objects.filter(pk__in=created.get("role", [])).delete()
        Group.objects.filter(pk__in=created.get("group", [])).delete()
        MembershipCategory.objects.filter(
            pk__in=created.get("category", []), memberships__isnull=True
        ).delete()
        batch.status = ImportBatch.Status.ROLLED_BACK
        batch.rolled_back_at = timezone.now()
        batch.error = _("Rolled back by %(user)s.") % {"user": user}
        batch.save(update_fields=["status", "rolled_back_at", "error"])


def _created_ids(batch: ImportBatch) -> dict[str, list]:
    out: dict[str, list] = {}
    for kind, ids in batch.created.values_list("kind", "ids"):
        out.setdefault(kind, []).extend(ids)
    return out
