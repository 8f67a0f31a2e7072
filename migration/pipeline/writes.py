"""Writing a decided chunk (``ChunkWrites``, a mixin of the Importer): persons,
guardians, memberships, group places and the import rows, set-based (``tables``).

What a chunk needs to know of the rows already stored comes from ``stored`` (read where
the chunk was decided, plus what the run wrote), so planning a chunk never waits for the
writes of the one before; the writes go to the run's ``Writer``
(``migration.pipeline.writer``), which sends them in this order."""

from django.db import connection
from django.utils import timezone

from billing.avtalegiro.importing import AVTALEGIRO
from members import identity
from members import signals as member_signals
from members.models import GroupMember, Membership, Person
from migration.models import ImportRow
from migration.pipeline import columns as cols
from migration.pipeline import tables
from migration.pipeline.chunks import Chunk, RowWork, pk_of
from migration.pipeline.guardians import GuardianPlan
from migration.pipeline.match import MATCHED, MERGED, NEW, REJECTED
from migration.pipeline.persons import NewPerson, write_new_persons
from migration.pipeline.stored import CONTACT_FIELDS, MEMBERSHIP_UPDATES, Stored

_NO_CANDIDATES = tables.JsonText("[]")


class ChunkWrites:
    def write_members(self, works: list[RowWork], chunk: "Chunk") -> None:
        """The chunk's rows: what they mean (``apply_rows``), then the import rows, whose
        values are made while the writer sends the rest. The chunk before may still be
        being written (``stored``); the one before that is done (memory stays bounded)."""
        self.writer.catch_up()
        ids = tables.reserve_ids(ImportRow, len(works))
        self.apply_rows(works, chunk)
        self.avtalegiro.update(  # their payers get mandates when the run is done
            pk_of(w.person)
            for w in works
            if w.decision is not None
            and w.decision.outcome in (MATCHED, NEW, MERGED)
            and w.v["payment_method"] == AVTALEGIRO
        )
        records = [self.member_row(w) for w in works]
        self.writer.insert(  # made ready here, after the release
            ImportRow, records, ids, fixed=self.row_fixed(cols.MEMBERS)
        )
        self.writer.release()

    def member_row(self, w: RowWork) -> dict:
        """The import row of member row ``w``, by attname, but those every row of the
        sheet has (``row_fixed``); counted in the totals."""
        d = w.decision
        if d is None:
            row = {"outcome": REJECTED, "reason": w.checked.error_text()}
        else:
            row = {
                "outcome": d.outcome,
                "reason": d.reason,
                "rule": d.rule,
                "person_id": pk_of(w.person),
                "merged_into_row": d.merged_into,
                "candidates": [pk_of(c) for c in w.candidates] if w.candidates else _NO_CANDIDATES,
            }
        self.totals[cols.MEMBERS][row["outcome"]] += 1
        return {"row_number": w.number, "member_no": w.v["member_no"], **row, **w.as_json}

    def apply_rows(self, works: list[RowWork], chunk: "Chunk | None" = None) -> None:
        """Write what the decided rows mean: persons, guardians, memberships, groups.
        Also used for one row when an admin resolves a review item (no ``chunk``: its
        guardians are planned here).

        What exists already comes from ``chunk.stored`` and the run's ``written``; the
        steps below hand their writes to the writer, which sends them off, in this order,
        at the end."""
        linked = [w for w in works if w.person is not None]
        if chunk is None:
            chunk = Chunk(works, guardians=self.plan_guardians(linked))
            chunk.stored = self.read_stored(works, chunk.guardians)
        if chunk.birthless:  # rare: persons written before are read and saved again
            self.writer.drain()
            self.complete_birthless(chunk.birthless)
        new_people = [w.person for w in works if w.decision and w.decision.outcome == NEW]
        self.created(
            "person",
            write_new_persons(new_people, user=self.user, reason="import", writer=self.writer),
        )
        self.update_matched_people(
            [w for w in linked if w.decision.outcome == MATCHED], chunk.stored
        )
        self.write_guardians(chunk.guardians, chunk.stored)
        memberships = self.write_memberships(linked, chunk.stored)
        links = self.write_group_links(linked, memberships, chunk.stored)
        # Billing's agreements (R-BIL-2): the new active memberships first, so that
        # the fees of the groups they came with keep the old next billing date.
        if self.activated:
            self.writer.submit(
                member_signals.memberships_activated.send,
                sender=type(self),
                club=self.club,
                membership_ids=self.activated,
            )
        if links:
            self.writer.submit(
                member_signals.group_joined.send, sender=type(self), club=self.club, link_ids=links
            )
        self.writer.release()

    def read_stored(self, works: list[RowWork], plan: GuardianPlan) -> Stored:
        """What the database holds that writing these decided rows must know (``Stored``):
        read where the chunk is decided."""
        persons = {w.person for w in works if isinstance(w.person, int)}
        return Stored.read(
            self.club.pk,
            persons,
            {w.person for w in works if w.person in persons and w.decision.outcome == MATCHED},
            {child for child, _g in plan.links if isinstance(child, int)},
        )

    def complete_birthless(self, found: list[tuple[NewPerson | int, dict]]) -> None:
        """Guardians written before this chunk and found again as members get the member
        row's birth date and details (``Chunk.found_again``)."""
        for known, v in found:
            person = Person.objects.get(pk=pk_of(known))
            person.birth_date = person.birth_date or v["birth_date"]
            person.gender = person.gender or v["gender"]
            if v["national_id"] and not person.national_id_hash:
                person.set_national_id(v["national_id"])
            person._history_user = self.user
            person.save()
            self.registry_changed(
                person.pk,
                person.first_name_key,
                person.last_name_key,
                person.birth_date,
                person.national_id_hash,
            )

    def update_matched_people(self, works: list[RowWork], stored: Stored) -> None:
        """Fill what the registry lacks; a re-import of this club's own data also updates
        changed contact details (R-MIG-5). Another club's data is never overwritten.

        The contact details compared are the stored ones as plain text (``stored``)."""
        written = self.written
        updates: dict[int, dict] = {}
        for w in works:
            v, pk = w.v, w.person
            values, has_id = written.contact(stored, pk)
            own = written.membership(stored, pk) is not None
            wanted = (v["email"], v["mobile"], v["address"], v["postal_code"], v["city"])
            for name, now, value in zip(CONTACT_FIELDS, values, wanted, strict=True):
                if value and now != value and (not now or own):
                    updates.setdefault(pk, {})[name] = value
            if v["national_id"] and not has_id:
                updates.setdefault(pk, {})["national_id"] = v["national_id"]
        if not updates:
            return
        now = Person._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
        rows = []
        for pk, fields in updates.items():
            values, has_id = written.contact(stored, pk)
            written.contacts[pk] = (
                tuple(fields.get(n, now_) for n, now_ in zip(CONTACT_FIELDS, values, strict=True)),
                has_id or "national_id" in fields,
            )
            national_id = fields.get("national_id")
            id_hash = identity.national_id_hash(national_id) if national_id else None
            encrypted = identity.encrypt(national_id) if national_id else None
            rows.append((pk, *(fields.get(n) for n in CONTACT_FIELDS), encrypted, id_hash, now))
            if id_hash and (c := self.registry.known.get(pk)) is not None:
                self.registry_changed(pk, c.first_key, c.last_key, c.birth_date, id_hash)
        names = [*CONTACT_FIELDS, "national_id_encrypted", "national_id_hash", "updated_at"]
        self.writer.submit(tables.update_rows, Person, names, rows, keep_null=True)
        self.writer.submit(
            tables.write_history, Person, list(updates), "~", user=self.user, reason="import"
        )

    def registry_changed(self, pk: int, first_key: str, last_key: str, born, id_hash) -> None:
        """Keep the run's registry as the transaction sees it. Not when pipelined: the
        chunks are decided against the registry as it was (a change comes from a row of
        the file, which is in the file's index, asked first, with the new values)."""
        if self.pipelined:
            return
        self.registry.changed(pk, first_key, last_key, born, id_hash)

    def write_memberships(self, works: list[RowWork], stored: Stored) -> dict[int, int]:
        """This club's membership of every linked person, created or updated as the
        rows say (a later row of the same person fills in or changes values); returns
        person pk → membership pk, and keeps the new active ones in ``activated``."""
        written = self.written
        existing = {}
        for person in {pk_of(w.person) for w in works}:
            if (state := written.membership(stored, person)) is not None:
                existing[person] = (state[0], dict(zip(MEMBERSHIP_UPDATES, state[1:], strict=True)))
        new: dict[int, dict] = {}
        changed: set[int] = set()
        for w in works:
            pk, v = pk_of(w.person), w.v
            category = self.category_named(v["category"])
            updates = {
                "category_id": category.pk if category else None,
                "member_number": v["member_no"],
                "payment_method": v["payment_method"],
                "next_billing_date": v["next_billing_date"],
            }
            if pk not in existing and pk not in new:
                new[pk] = {
                    "person_id": pk,
                    **updates,
                    "status": Membership.Status.ACTIVE
                    if w.decision.outcome == MATCHED
                    else Membership.Status.PENDING,
                    "payment_method": v["payment_method"] or "invoice",
                    "started_on": v["joined"] or self.today,
                }
                continue
            membership_pk, current = existing.get(pk) or (None, new[pk])
            for name, value in updates.items():
                if value and current[name] != value:
                    current[name] = value
                    if membership_pk:
                        changed.add(membership_pk)
        ids = tables.reserve_ids(Membership, len(new)) if new else []
        for m, row in zip(ids, new.values(), strict=True):
            written.memberships[row["person_id"]] = (m, *(row[f] for f in MEMBERSHIP_UPDATES))
        for person, (m, values) in existing.items():
            if m in changed:
                written.memberships[person] = (m, *(values[f] for f in MEMBERSHIP_UPDATES))
        self.writer.insert(
            Membership,
            list(new.values()),
            ids,
            tables.History("+", self.user, "import"),
            fixed={"club_id": self.club.pk, "source": Membership.Source.MIGRATED},
        )
        self.created("membership", ids)
        self.activated = [  # matched persons' new memberships are active at once
            pk
            for pk, row in zip(ids, new.values(), strict=True)
            if row["status"] == Membership.Status.ACTIVE
        ]
        if changed:
            self.writer.submit(
                tables.update_rows,
                Membership,
                MEMBERSHIP_UPDATES,
                [
                    (m, *(values[f] for f in MEMBERSHIP_UPDATES))
                    for m, values in existing.values()
                    if m in changed
                ],
            )
            self.writer.submit(
                tables.write_history,
                Membership,
                sorted(changed),
                "~",
                user=self.user,
                reason="import: updated",
            )
        return {person: m for person, (m, _v) in existing.items()} | dict(
            zip(new, ids, strict=True)
        )

    def write_group_links(
        self, works: list[RowWork], memberships: dict[int, int], stored: Stored
    ) -> list[int]:
        """The rows' group places that are new; returns their ids."""
        wanted = {
            (self.group_named(name).pk, memberships[pk_of(w.person)])
            for w in works
            for name in w.v["groups"]
        }
        fresh = sorted(link for link in wanted if not self.written.has_group_link(stored, link))
        self.written.group_links.update(fresh)
        rows = [{"group_id": g, "membership_id": m} for g, m in fresh]
        ids = self.writer.insert(
            GroupMember, rows, fixed={"club_id": self.club.pk, "joined_on": self.today}
        )
        self.created("group_member", ids)
        return ids
