"""Writing a decided chunk (``ChunkWrites``, a mixin of the Importer): persons,
guardians, memberships, group places and the import rows, set-based (``tables``).

Everything a chunk needs to read is read first, with nothing pending; the writes go to
the run's ``Writer`` (``migration.pipeline.writer``), which sends them in this order."""

from django.db import connection
from django.utils import timezone

from members import identity
from members import signals as member_signals
from members.models import GroupMember, Membership, Person
from migration.models import ImportRow
from migration.pipeline import columns as cols
from migration.pipeline import tables
from migration.pipeline.chunks import Chunk, RowWork, pk_of
from migration.pipeline.guardians import contact_text
from migration.pipeline.match import MATCHED, NEW, REJECTED
from migration.pipeline.persons import NewPerson, write_new_persons

MEMBERSHIP_UPDATES = ("category_id", "member_number", "payment_method", "next_billing_date")
CONTACT_FIELDS = ("email", "mobile", "address_line", "postal_code", "city")


class ChunkWrites:
    def write_members(self, works: list[RowWork], chunk: "Chunk") -> None:
        """The chunk's rows: what they mean (``apply_rows``), then the import rows, whose
        values are made while the writer sends the rest."""
        self.writer.drain()  # the chunk before is written: what is read now sees it
        ids = tables.reserve_ids(ImportRow, len(works))
        self.apply_rows(works, chunk)
        records = [self.member_row(w) for w in works]
        self.writer.insert(ImportRow, records, ids)  # made ready here, after the release
        self.writer.release()

    def member_row(self, w: RowWork) -> dict:
        """The import row of member row ``w``, by attname (counted in the totals)."""
        d = w.decision
        if d is None:
            outcome, reason, links = REJECTED, w.checked.error_text(), {}
        else:
            outcome, reason = d.outcome, d.reason
            links = {
                "rule": d.rule,
                "person_id": pk_of(w.person),
                "merged_into_row": d.merged_into,
                "candidates": [pk_of(c) for c in w.candidates],
            }
        return self.row_values(
            cols.MEMBERS, w.number, w.raw, w.checked, outcome, reason, **links, **w.as_json
        )

    def apply_rows(self, works: list[RowWork], chunk: "Chunk | None" = None) -> None:
        """Write what the decided rows mean: persons, guardians, memberships, groups.
        Also used for one row when an admin resolves a review item (no ``chunk``: its
        guardians are planned here).

        Everything is read first, with nothing pending (``Writer``): the steps below read
        only what earlier chunks wrote, and hand their writes to the writer, which sends
        them off, in this order, at the end."""
        linked = [w for w in works if w.person is not None]
        if chunk is None:
            chunk = Chunk(works, guardians=self.plan_guardians(linked))
        self.writer.drain()
        self.complete_birthless(chunk.birthless)
        new_people = [w.person for w in works if w.decision and w.decision.outcome == NEW]
        self.created(
            "person",
            write_new_persons(new_people, user=self.user, reason="import", writer=self.writer),
        )
        self.update_matched_people([w for w in linked if w.decision.outcome == MATCHED])
        self.write_guardians(chunk.guardians)
        memberships = self.write_memberships(linked)
        links = self.write_group_links(linked, memberships)
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

    def update_matched_people(self, works: list[RowWork]) -> None:
        """Fill what the registry lacks; a re-import of this club's own data also updates
        changed contact details (R-MIG-5). Another club's data is never overwritten.

        The registry's values are read as plain text first; only the persons that change
        are loaded as objects (most matched rows change nothing)."""
        pks = {w.person for w in works}
        if not pks:
            return
        current = {pk: (values, bool(id_hash)) for pk, *values, id_hash in _contact_rows(pks)}
        own = {
            pk
            for (pk,) in tables.select_in(
                Membership, ["person_id"], "person_id", pks, club_id=self.club.pk
            )
        }
        updates: dict[int, dict] = {}
        for w in works:
            values, has_id = current[w.person]
            v, pk = w.v, w.person
            wanted = (v["email"], v["mobile"], v["address"], v["postal_code"], v["city"])
            for name, now, value in zip(CONTACT_FIELDS, values, wanted, strict=True):
                if value and now != value and (not now or pk in own):
                    updates.setdefault(pk, {})[name] = value
            if v["national_id"] and not has_id:
                updates.setdefault(pk, {})["national_id"] = v["national_id"]
        if not updates:
            return
        now = Person._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
        rows = []
        for pk, fields in updates.items():
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

    def write_memberships(self, works: list[RowWork]) -> dict[int, int]:
        """This club's membership of every linked person, created or updated as the
        rows say (a later row of the same person fills in or changes values); returns
        person pk → membership pk, and keeps the new active ones in ``activated``."""
        pks = {pk_of(w.person) for w in works}
        existing = {
            person: (pk, dict(zip(MEMBERSHIP_UPDATES, values, strict=True)))
            for pk, person, *values in tables.select_in(
                Membership,
                ["pk", "person_id", *MEMBERSHIP_UPDATES],
                "person_id",
                pks,
                club_id=self.club.pk,
            )
        }
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
                    "club_id": self.club.pk,
                    "person_id": pk,
                    **updates,
                    "status": Membership.Status.ACTIVE
                    if w.decision.outcome == MATCHED
                    else Membership.Status.PENDING,
                    "source": Membership.Source.MIGRATED,
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
        self.writer.insert(Membership, list(new.values()), ids)
        self.writer.submit(
            tables.write_history, Membership, ids, "+", user=self.user, reason="import"
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

    def write_group_links(self, works: list[RowWork], memberships: dict[int, int]) -> list[int]:
        """The rows' group places that are new; returns their ids."""
        wanted = {
            (self.group_named(name).pk, memberships[pk_of(w.person)])
            for w in works
            for name in w.v["groups"]
        }
        if not wanted:
            return []
        existing = set(
            tables.select_in(
                GroupMember,
                ["group_id", "membership_id"],
                "membership_id",
                {m for _g, m in wanted},
            )
        )
        rows = [
            {"club_id": self.club.pk, "group_id": g, "membership_id": m, "joined_on": self.today}
            for g, m in sorted(wanted - existing)
        ]
        ids = self.writer.insert(GroupMember, rows)
        self.created("group_member", ids)
        return ids


def _contact_rows(pks: set[int]) -> list[tuple]:
    """(pk, e-mail, mobile as E.164 text, address, postcode, city, national id hash) of
    these persons, as the normaliser writes them ("" for nothing)."""
    rows = tables.select_in(Person, ["pk", *CONTACT_FIELDS, "national_id_hash"], "pk", pks)
    return [
        (pk, email or "", contact_text(mobile) if mobile else "", *(x or "" for x in rest), hash_)
        for pk, email, mobile, *rest, hash_ in rows
    ]
