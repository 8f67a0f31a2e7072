"""Guardians of children (R-MIG-7): a guardian is a Person, matched by name and e-mail or
mobile (a guardian has no birth date in the extract), created once however many
children they have, and linked through Person.guardians."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q

from ims.db import bulk_cursor
from members import identity
from members.models import Person
from migration.models import ImportCreated
from migration.pipeline import tables
from migration.pipeline.match import MERGED
from migration.pipeline.persons import NewPerson, write_new_persons

if TYPE_CHECKING:  # stored.py reads contact details with contact_text, from here
    from migration.pipeline.stored import Stored


@dataclass
class GuardianPlan:
    """The guardians of a chunk's children, decided: the ones to create, and the
    (child, guardian) links, either side a pk or a NewPerson."""

    new: list[NewPerson] = field(default_factory=list)
    links: list[tuple] = field(default_factory=list)


class GuardianLinks:
    """Mixin of the Importer: guardians are decided with the chunk (``plan_guardians``,
    which only reads) and written with it (``write_guardians``)."""

    def plan_guardians(self, works: list) -> GuardianPlan:
        plan = GuardianPlan()
        for w in works:  # adults in the file can be the guardians of children in it
            fk, lk, _born = w.key
            for contact in (w.v["email"], w.v["mobile"]):
                if contact:
                    self.guardians.setdefault((fk, lk, contact), w.person)
        wanted = [
            (w, *split_name(w.v["guardian_name"]))
            for w in works
            if w.v["guardian_name"] and w.decision.outcome != MERGED
        ]
        if not wanted:
            return plan
        emails = {w.v["guardian_email"] for w, *_ in wanted if w.v["guardian_email"]}
        mobiles = {w.v["guardian_mobile"] for w, *_ in wanted if w.v["guardian_mobile"]}
        names = {(identity.name_key(first), identity.name_key(last)) for _w, first, last in wanted}
        for pk, fk, lk, email, mobile in persons_by_contact(names, emails, mobiles):
            for contact in (email, mobile):
                if contact:
                    self.guardians.setdefault((fk, lk, contact_text(contact)), pk)
        for w, first, last in wanted:
            fk, lk = identity.name_key(first), identity.name_key(last)
            contacts = [c for c in (w.v["guardian_email"], w.v["guardian_mobile"]) if c]
            guardian = next(
                (self.guardians[(fk, lk, c)] for c in contacts if (fk, lk, c) in self.guardians),
                None,
            )
            if guardian is None:
                guardian = NewPerson(
                    first_name=first,
                    last_name=last,
                    email=w.v["guardian_email"],
                    mobile=w.v["guardian_mobile"],
                )
                plan.new.append(guardian)
                for c in contacts:
                    self.guardians[(fk, lk, c)] = guardian
            plan.links.append((w.person, guardian))
        return plan

    def write_guardians(self, plan: GuardianPlan, stored: "Stored") -> None:
        """The plan's new guardians and links; the links stored already (``stored``, and
        what the run wrote) are left out."""
        self.created(
            "person",
            write_new_persons(
                plan.new, user=self.user, reason="import: guardian", writer=self.writer
            ),
        )
        Through = Person.guardians.through
        pairs = {(_pk(child), _pk(g)) for child, g in plan.links if _pk(child) != _pk(g)}
        if not pairs:
            return
        fresh = sorted(pair for pair in pairs if not self.written.has_guardian_link(stored, pair))
        if not fresh:
            return
        self.written.guardian_links.update(fresh)
        self.writer.insert(Through, [{"from_person_id": c, "to_person_id": g} for c, g in fresh])
        self.writer.collect(
            ImportCreated,
            {"batch_id": self.batch.pk, "kind": "guardian_link", "ids": [list(p) for p in fresh]},
        )


def contact_text(value) -> str:
    """E-mail as it is; a phone number as E.164, the form rows carry (str() of a
    PhoneNumber is the display format, which would never match)."""
    e164 = getattr(value, "as_e164", None)
    return e164 if e164 else str(value)


def persons_by_contact(
    names: set[tuple[str, str]], emails: set, mobiles: set, *, birthless: bool = False
) -> list[tuple]:
    """Persons with one of these (first name key, last name key) and one of these e-mails
    or mobiles, only those without a birth date when ``birthless``, as ``(pk, first name
    key, last name key, e-mail, mobile)``.

    The names lead (the ``person_match_key`` index); on PostgreSQL as arrays in binary
    (as text, psycopg scans every element for characters to quote), and the numbers go
    both ways as the stored E.164 text, not through the phone number field, which parses
    every number (twice)."""
    emails = {e for e in emails if e is not None}
    mobiles = {m for m in mobiles if m is not None}
    if not names or not (emails or mobiles):
        return []
    if not tables.fast():
        rows = Person.objects.filter(birth_date__isnull=True) if birthless else Person.objects
        named = Q()
        for first, last in names:
            named |= Q(first_name_key=first, last_name_key=last)
        rows = rows.filter(named).filter(Q(email__in=emails) | Q(mobile__in=mobiles))
        return list(rows.values_list("pk", "first_name_key", "last_name_key", "email", "mobile"))
    # Each name looked up in the name index (a LATERAL join kept apart by OFFSET 0:
    # merged into one join, the planner scanned the whole table, in parallel, once per
    # chunk — a cost that grows with the registry; this grows with the chunk, and is as
    # fast at 180,000 persons). The names are a set and each person has one: none
    # comes twice.
    where = (
        "p.last_name_key = n.l AND p.first_name_key = n.f"
        " AND (p.email = ANY(%b) OR p.mobile = ANY(%b))"
    )
    if birthless:
        where += " AND p.birth_date IS NULL"
    firsts, lasts = zip(*names, strict=True)
    with bulk_cursor() as cursor:
        cursor.execute(
            "SELECT x.* FROM unnest(%b::text[], %b::text[]) AS n(l, f) CROSS JOIN LATERAL ("  # noqa: S608
            f"SELECT p.id, p.first_name_key, p.last_name_key, p.email, p.mobile "
            f"FROM {Person._meta.db_table} p WHERE {where} OFFSET 0) AS x",
            [list(lasts), list(firsts), list(emails), list(mobiles)],
        )
        return cursor.fetchall()  # mobiles as stored: E.164 text, as the rows carry them


def _pk(ref) -> int:
    return ref.pk if isinstance(ref, NewPerson) else ref


def split_name(full: str) -> tuple[str, str]:
    """ "Sebastian-Thor Gundersen" → ("Sebastian-Thor", "Gundersen")."""
    parts = full.split()
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]
