"""The import run: reads an extract chunk by chunk, decides every row, and writes in bulk.

One transaction around the whole run (the caller opens it); rows are processed in
chunks so memory stays bounded however large the extract is. Every data row of the
member list ends as exactly one ImportRow with an outcome (R-MIG-2).
"""

import gc
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import date
from functools import partial
from itertools import islice

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from members import identity
from members import services as member_services
from members.models import (
    Club,
    Group,
    MembershipCategory,
    Person,
)
from migration.models import ImportBatch, ImportCreated, ImportRow
from migration.pipeline import columns as cols
from migration.pipeline import match, tables
from migration.pipeline.chunks import Chunk, RowWork, json_columns
from migration.pipeline.guardians import (
    GuardianLinks,
    contact_text,
    persons_by_contact,
)
from migration.pipeline.match import MATCHED, MERGED, NEW, REJECTED, REVIEW, Candidate, Decision
from migration.pipeline.normalise import (
    Checked,
    normalise_group,
    normalise_member,
)
from migration.pipeline.persons import NewPerson, new_person, prepare_rows
from migration.pipeline.reader import Extract
from migration.pipeline.stored import Written
from migration.pipeline.waitlist import WaitlistImport
from migration.pipeline.writer import Writer
from migration.pipeline.writes import ChunkWrites

# Rows per chunk: fewer, larger chunks cost fewer statements (4,000 instead of 2,000:
# ~9 % faster for a 100,000-row extract); two chunks in memory at once bound its size.
CHUNK = 4000
# The first and the last chunk are smaller: nothing is written until the first is
# decided, and the run ends when the writing thread has written the last, so it starts
# sooner and ends sooner (an eighth of a chunk's time instead of a whole one).
SMALL_CHUNK = 500
Progress = Callable[[int, int], None]


class ReadAhead:
    """Reads and normalises the member rows one chunk ahead, in a thread of its own:
    it needs no database, so it runs while the importer waits for PostgreSQL with the
    previous chunk. Messages are written in the language, and dates taken in the time
    zone, of the thread that made it."""

    def __init__(self, rows: Iterator[tuple[int, dict]], total: int = 0):
        self.rows = rows
        self.language = translation.get_language()
        self.zone = timezone.get_current_timezone()
        self.total, self.read = total, 0  # the rows counted for the progress bar

    def size(self) -> int:
        """Rows in the next chunk: ``CHUNK``, but the first and the last small."""
        small = min(SMALL_CHUNK, CHUNK)
        if not self.read:
            return small
        left = self.total - self.read
        if small < left <= CHUNK + small:
            return left - small  # so that the last one is small
        return CHUNK

    def next_chunk(self) -> list[RowWork]:
        size = self.size()
        with translation.override(self.language), timezone.override(self.zone):
            works = [RowWork(n, raw, normalise_member(raw)) for n, raw in islice(self.rows, size)]
            self.read += len(works)
        return works


class Importer(GuardianLinks, WaitlistImport, ChunkWrites):
    def __init__(
        self,
        club: Club,
        extract: Extract | None,
        batch: ImportBatch,
        *,
        user=None,
        progress: Progress | None = None,
    ):
        self.club, self.extract, self.batch, self.user = club, extract, batch, user
        self.progress = progress or (lambda done, total: None)
        self.totals: dict[str, Counter] = {k: Counter() for k in cols.SHEETS}
        self.file_index = match.RegistryIndex([])
        self.registry = match.RegistryCache()
        self.row_person: dict[int, NewPerson | int] = {}
        self.guardians: dict[tuple, NewPerson | int] = {}
        self.written = Written()  # what the run wrote that later chunks must know
        self.avtalegiro: set[int] = set()  # persons of rows that pay by AvtaleGiro
        self.pipelined = False
        self.writer = Writer()
        self.categories = {
            c.name.casefold(): c for c in MembershipCategory.objects.filter(club=club)
        }
        self.groups = {g.name.casefold(): g for g in Group.objects.filter(club=club)}
        self.today = timezone.localdate()

    # --- the run -----------------------------------------------------------------------
    def run(self, total_rows: int) -> dict[str, dict[str, int]]:
        """Import the extract. The member rows go in chunks; with ``pipelined`` (see
        ``can_pipeline``) a chunk is read, normalised and decided in a thread of its own,
        on a connection of its own, while the chunk before is written."""
        done = 0
        if (groups := self.extract.tables.get(cols.GROUPS)) is not None:
            self.import_groups(groups.rows)
        read_ahead = ReadAhead(self.extract.members.rows, total_rows)
        self.pipelined = can_pipeline()
        ahead = partial(self.decided_ahead, read_ahead) if self.pipelined else read_ahead.next_chunk
        self.writer.drain()
        self.writer = Writer(threaded=self.pipelined)
        with (
            collector_paused(),
            quick_switches(),
            constraints_checked_as_written(),
            tables.ids_in_blocks(5 * CHUNK),
            ThreadPoolExecutor(1, "import-ahead") as pool,
        ):
            coming = pool.submit(ahead)
            try:
                while item := coming.result():
                    coming = pool.submit(ahead)
                    chunk = item if self.pipelined else self.decide_chunk(item)
                    self.write_chunk(chunk)
                    done += len(chunk.works)
                    self.progress(done, total_rows)
                self.writer.drain()
            finally:
                self.writer.close()
                if self.pipelined:  # the deciding thread's own connection, once it is idle
                    wait([coming])
                    pool.submit(connections.close_all).result()
        if (waitlist := self.extract.tables.get(cols.WAITLIST)) is not None:
            self.import_waitlist(waitlist.rows)
        self.writer.drain()
        return {sheet: dict(counter) for sheet, counter in self.totals.items() if counter}

    def decided_ahead(self, read_ahead: "ReadAhead") -> "Chunk | None":
        """The next chunk, read and decided (in the pipeline's thread)."""
        works = read_ahead.next_chunk()
        if not works:
            return None
        with translation.override(read_ahead.language), timezone.override(read_ahead.zone):
            return self.decide_chunk(works)

    def created(self, kind: str, objects: list) -> None:
        """Record what this batch created (for the rollback): objects or their ids."""
        if kind == "person":
            self.registry.created.update(o if isinstance(o, int) else o.pk for o in objects)
        if objects:
            self.writer.collect(
                ImportCreated,
                {
                    "batch_id": self.batch.pk,
                    "kind": kind,
                    "ids": [o if isinstance(o, int) else o.pk for o in objects],
                },
            )

    def row(
        self, sheet: str, number: int, raw: dict, checked: Checked, outcome: str, reason: str, **kw
    ) -> ImportRow:
        values = self.row_values(sheet, number, raw, checked, outcome, reason, **kw)
        values.update(self.row_fixed(sheet))
        values.update(  # as Python values for the model's fields
            raw=_jsonable(raw),
            values=_jsonable(checked.values),
            problems=[p.as_dict() for p in checked.problems],
        )
        return ImportRow(**values)

    def row_values(
        self, sheet: str, number: int, line: dict, checked: Checked, outcome: str, reason: str, **kw
    ) -> dict:
        """An ImportRow's values by attname (counted in the totals), but those of every
        row of the sheet (``row_fixed``); the JSON columns as ``json_columns`` gives them
        for the file's ``line``, unless ``kw`` brings them."""
        self.totals[sheet][outcome] += 1
        return {
            "row_number": number,
            "member_no": checked.values.get("member_no", ""),
            "outcome": outcome,
            "reason": reason,
            **(kw if "raw" in kw else {**json_columns(line, checked), **kw}),
        }

    def row_fixed(self, sheet: str) -> dict:
        """The values every ImportRow of ``sheet`` in this run has."""
        return {"club_id": self.club.pk, "batch_id": self.batch.pk, "sheet": sheet}

    # --- groups ------------------------------------------------------------------------
    def import_groups(self, rows: Iterator[tuple[int, dict]]) -> None:
        records, created_groups, created_roles = [], [], []
        for number, raw in rows:
            checked = normalise_group(raw)
            if checked.errors:
                records.append(
                    self.row(cols.GROUPS, number, raw, checked, REJECTED, checked.error_text())
                )
                continue
            v = checked.values
            group = self.groups.get(v["name"].casefold())
            fields = {k: v[k] for k in ("sport", "season", "capacity", "class_fee")}
            if group is None:
                group = Group.objects.create(club=self.club, name=v["name"], **fields)
                self.groups[group.name.casefold()] = group
                created_groups.append(group)
                outcome, reason = NEW, _("New group.")
            else:
                changed = [
                    k
                    for k, value in fields.items()
                    if value is not None and getattr(group, k) != value
                ]
                for k in changed:
                    setattr(group, k, fields[k])
                if changed:
                    group.save(update_fields=changed)
                outcome, reason = (
                    MATCHED,
                    _("Existing group; updated: %(f)s.")
                    % {
                        "f": ", ".join(str(Group._meta.get_field(k).verbose_name) for k in changed)
                        or "–"
                    },
                )
            if v["admin_email"]:
                user = member_services.get_or_create_user(v["admin_email"])
                role, made = member_services.grant_group_admin_created(group, user)
                if made:
                    created_roles.append(role)
            records.append(self.row(cols.GROUPS, number, raw, checked, outcome, reason))
        ImportRow.objects.bulk_create(records)
        self.created("group", created_groups)
        self.created("role", created_roles)

    def group_named(self, name: str) -> Group:
        return self._named(self.groups, Group, "group", name)

    def category_named(self, name: str) -> MembershipCategory | None:
        return self._named(self.categories, MembershipCategory, "category", name) if name else None

    def _named(self, known: dict, model, kind: str, name: str):
        """The club's group or category of that name (case forgiven), created when new.
        ``known`` is by case-folded name, and by each name as rows wrote it (asked for
        every row: one lookup then, not a case-fold and a lookup)."""
        found = known.get(name)
        if found is None:
            found = known.get(name.casefold())
            if found is None:
                found = known[name.casefold()] = model.objects.create(club=self.club, name=name)
                self.created(kind, [found])
            known[name] = found
        return found

    # --- members -----------------------------------------------------------------------
    # Deciding a chunk (``decide_chunk``) reads the registry as it was before the run
    # (plus what the run keeps in memory: the file's rows, the guardians); writing it
    # (``write_chunk``) is what needs the run's own writes. So the next chunk can be
    # decided while one is written, and nothing the decisions use is changed by a write.
    def decide_chunk(self, works: list[RowWork]) -> "Chunk":
        valid = [w for w in works if not w.checked.errors]
        index = self.registry.for_rows(
            {w.v["birth_date"] for w in valid if w.v["birth_date"]},
            {w.id_hash for w in valid if w.id_hash},
        )
        by_public_id = self._persons_by_public_id(valid)
        self._load_birthless(valid)
        chunk = Chunk(works)
        texts = match.Texts.now()
        for w in valid:
            self.decide_member(w, index, by_public_id, chunk, texts)
        chunk.guardians = self.plan_guardians([w for w in works if w.person is not None])
        chunk.stored = self.read_stored(works, chunk.guardians)
        prepare_rows(
            [w.person for w in valid if w.decision.outcome == NEW and id(w.person) in chunk.fresh]
            + chunk.guardians.new
        )
        return chunk

    def write_chunk(self, chunk: "Chunk") -> None:
        self.write_members(chunk.works, chunk)

    def _load_birthless(self, works: list[RowWork]) -> None:
        """Registered persons without a birth date (guardians from earlier imports), by
        name and contact, so that a guardian who is also a member is one person."""
        emails = {w.v["email"] for w in works if w.v["email"]}
        mobiles = {w.v["mobile"] for w in works if w.v["mobile"]}
        if not (emails or mobiles):
            return
        names = {w.key[:2] for w in works}
        for pk, fk, lk, email, mobile in persons_by_contact(names, emails, mobiles, birthless=True):
            for contact in (email, mobile):
                if contact:
                    self.guardians.setdefault((fk, lk, contact_text(contact)), pk)

    def guardian_for(self, w: RowWork) -> NewPerson | int | None:
        """A guardian already known (no birth date) with this row's name and e-mail or
        mobile: the same person, unless the row's own guardian carries the same name."""
        fk, lk, _born = w.key
        if w.v["guardian_name"] and identity.name_key(w.v["guardian_name"]) == f"{fk} {lk}":
            return None
        for contact in (w.v["email"], w.v["mobile"]):
            found = self.guardians.get((fk, lk, contact)) if contact else None
            if found is not None and (not isinstance(found, NewPerson) or found.birth_date is None):
                return found
        return None

    def _persons_by_public_id(self, works: list[RowWork]) -> dict[str, Candidate]:
        ids = {w.v["person_id"] for w in works if _is_uuid(w.v["person_id"])}
        if not ids:
            return {}
        fields = (
            "public_id",
            "pk",
            "first_name_key",
            "last_name_key",
            "birth_date",
            "national_id_hash",
        )
        return {
            str(r[0]): Candidate(*r[1:])
            for r in Person.objects.filter(public_id__in=ids).values_list(*fields)
        }

    def decide_member(
        self,
        w: RowWork,
        index: match.RegistryIndex,
        by_public_id: dict,
        chunk: "Chunk",
        texts: match.Texts,
    ) -> None:
        first, last, born = w.key
        in_file = match.decide(first, last, born, w.id_hash, self.file_index, texts)
        if in_file.outcome == MATCHED:
            earlier = -in_file.person_pk
            w.decision = Decision(
                MERGED,
                _("The same person as row %(row)s: %(why)s")
                % {"row": earlier, "why": in_file.reason},
                merged_into=earlier,
                rule=in_file.rule,
            )
            w.person = self.row_person[earlier]
            return
        if in_file.outcome == REVIEW:
            w.decision = Decision(
                REVIEW,
                _("Row %(rows)s of this file: %(why)s")
                % {"rows": ", ".join(str(-c) for c in in_file.candidates), "why": in_file.reason},
                rule=in_file.rule,
            )
            w.candidates = [self.row_person[-c] for c in in_file.candidates]
            return
        own = by_public_id.get(w.v["person_id"])
        if own and (
            own.id_hash == w.id_hash
            and own.id_hash
            or (own.first_key, own.last_key, own.birth_date) == (first, last, born)
        ):
            w.decision = Decision(
                MATCHED,
                _("Same person id as exported from IMS, and the same identity."),
                person_pk=own.pk,
                rule="person_id",
            )
        else:
            w.decision = match.decide(first, last, born, w.id_hash, index, texts)
        if w.decision.outcome == NEW and (known := self.guardian_for(w)) is not None:
            w.decision = Decision(
                MATCHED if not isinstance(known, NewPerson) else NEW,
                _(
                    "Same name and contact as a guardian registered without birth date; "
                    "the birth date is added."
                ),
                person_pk=None if isinstance(known, NewPerson) else known,
                rule="guardian",
            )
            w.person = known
            chunk.found_again(known, w.v)
        elif w.decision.outcome == MATCHED:
            w.person = w.decision.person_pk
        elif w.decision.outcome == NEW:
            w.person = chunk.made(new_person(w.v, w.id_hash))
        else:
            w.candidates = list(w.decision.candidates)
            return
        self.file_index.add(Candidate(-w.number, first, last, born, w.id_hash))
        self.row_person[w.number] = w.person


@contextmanager
def collector_paused():
    """The cyclic garbage collector off while many long-lived objects are made. Left
    on, its full collections scan everything kept so far (the file's rows and persons,
    a report's lines) again and again as it grows: a fifth of the import's time; even
    a young collection per chunk visits every object the chunk keeps (~1.5 s of a
    100,000-row run). A chunk's rows are freed by their reference counts; what would
    keep one alive in a cycle is avoided where it starts (``normalise._valid``), and
    ``tests/migration/test_batches.py`` checks that a run leaves no row behind.

    When it ends, what was made meanwhile goes straight to the oldest generation
    (``gc.freeze``/``unfreeze``): left in the youngest, the first collection after it
    would visit every object the run made and still keeps (0.24 s after a 100,000-row
    run's chunks), and again each time they moved up a generation. Nested, only the
    outermost turns it back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()  # every tracked object to the permanent generation, counts reset
            gc.enable()
            gc.unfreeze()  # …and back, into the oldest generation, unvisited


@contextmanager
def constraints_checked_as_written():
    """On PostgreSQL, foreign keys checked at the end of each statement while the member
    rows are written, instead of all at the commit (Django declares them deferred). The
    database does the same checks, but while the run prepares the next rows rather than
    alone at the end (~740,000 checks for a 100,000-row extract: seconds with nothing else
    to do). Every write refers only to rows written before it (persons before their
    memberships, memberships before their group places), so each check holds as it is
    made; the commit checks whatever comes after as before."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield  # after an error the transaction is lost anyway: nothing to set back then
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def quick_switches():
    """Threads take turns with the interpreter every 0.5 ms instead of 5 ms while the
    run lasts. The run's thread lets go of it for every statement it sends; with the
    deciding thread busy, it waited up to 5 ms to get it back, hundreds of times a chunk."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def _is_uuid(text: str) -> bool:
    if not text:  # most rows (a federation extract has no person id): no exception
        return False
    try:
        uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _jsonable(values: dict) -> dict:
    out = {}
    for k, v in values.items():
        if v.__class__ is str:  # most values; a str is kept as it is by the branches below too
            out[k] = v
        elif isinstance(v, date):
            out[k] = v.isoformat()
        elif v is None or isinstance(v, str | int | float | bool | list):
            out[k] = v
        else:
            out[k] = str(v)
    return out


def can_pipeline() -> bool:
    """Whether the chunks can be decided on a connection of their own while the run
    writes (``Importer.run``): on PostgreSQL, unless the setting ``MIGRATION_PIPELINE``
    says no, and only when the run's transaction is the outermost one — what the
    decisions read (the registry) is then committed, so another connection sees it as
    the run does. (Not inside a test's transaction, for one.)"""
    return (
        settings.MIGRATION_PIPELINE
        and connection.vendor == "postgresql"
        and len(connection.atomic_blocks) == 1
    )
