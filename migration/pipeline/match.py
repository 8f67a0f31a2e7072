"""Matcher (R-MIG-3, R-MIG-4): decides, with an explanation, what each row is.

Rules, in order:

1. A national id number on both sides decides alone: equal → the same person (even when
   the name changed); different → never the same person, even with equal name and
   birth date (that row goes to review). One exception keeps R-MIG-4: equal numbers
   with a name that is a near miss (one letter, swapped, middle name) mean one side
   holds a typo, and the admin decides which spelling is right (review).
2. Otherwise normalised first name + last name + birth date must be equal (case,
   whitespace, hyphen vs space, Unicode NFC/NFD are forgiven by ``identity.name_key``).
3. Near misses are never linked: one edit apart in a name, first/last swapped, day and
   month swapped, a missing middle name. They go to review with the candidates.
4. A namesake with another birth date is simply a new person.

Earlier rows of the same file are matched the same way first: a duplicate is ``merged``
into the row it repeats.
"""

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ims.db import bulk_cursor
from members.models import Person
from migration.pipeline import tables

NEW, MATCHED, MERGED, REVIEW, REJECTED = "new", "matched", "merged", "review", "rejected"


# The explanations that nearly every row gets, translated once per chunk (``Texts``)
# rather than twice per row (the file's earlier rows, then the registry).
SAME_ID_NAME_BIRTH = gettext_noop("Same national id number, name and birth date.")
SAME_ID_NAME_CHANGED = gettext_noop(
    "Same national id number (it decides alone; the name has changed)."
)
SAME_NAME_BIRTH = gettext_noop("Same first name, last name and birth date.")
NOBODY = gettext_noop("Nobody in the registry has this name and birth date.")


class Texts(NamedTuple):
    """The common explanations in the active language: looking the language up costs
    more than matching a row does."""

    same_id_name_birth: str
    same_id_name_changed: str
    same_name_birth: str
    nobody: str

    @classmethod
    def now(cls) -> "Texts":
        return cls(_(SAME_ID_NAME_BIRTH), _(SAME_ID_NAME_CHANGED), _(SAME_NAME_BIRTH), _(NOBODY))


class Candidate(NamedTuple):
    """A registry person reduced to what matching needs (a tuple: tens of thousands are
    made per chunk)."""

    pk: int
    first_key: str
    last_key: str
    birth_date: date | None
    id_hash: str | None


@dataclass
class Decision:
    outcome: str
    reason: str
    person_pk: int | None = None  # matched: the registry person
    merged_into: int | None = None  # merged: the earlier row number
    candidates: list[int] = field(default_factory=list)  # review: registry person pks
    rule: str = ""


def edit_distance_at_most_one(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one insertion, deletion or substitution
    (or one swap of neighbouring letters)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def swapped_day_month(born: date | None) -> date | None:
    if born is None or born.day == born.month or born.day > 12:
        return None
    return born.replace(day=born.month, month=born.day)


def near_miss_reason(first: str, last: str, born: date | None, c: Candidate) -> str | None:
    """Why ``c`` looks like the row without being the same person, or None."""
    if born is None or c.birth_date is None:
        return None
    same_names = first == c.first_key and last == c.last_key
    if c.birth_date == born:
        if same_names:
            return None  # an exact match, not a near miss
        if first == c.last_key and last == c.first_key:
            return _("first and last name are swapped")
        if (last == c.last_key and _middle_name_missing(first, c.first_key)) or (
            first == c.first_key and _middle_name_missing(last, c.last_key)
        ):  # old systems keep a middle name with the first or with the last name
            return _("a middle name is missing on one side")
        if first == c.first_key and edit_distance_at_most_one(last, c.last_key):
            return _("the last name differs by one letter")
        if last == c.last_key and edit_distance_at_most_one(first, c.first_key):
            return _("the first name differs by one letter")
        return None
    if same_names and c.birth_date == swapped_day_month(born):
        return _("day and month of the birth date are swapped")
    return None


def _middle_name_missing(a: str, b: str) -> bool:
    ta, tb = a.split(), b.split()
    if len(ta) == len(tb):
        return False
    short, long_ = (ta, tb) if len(ta) < len(tb) else (tb, ta)
    return bool(short) and (long_[: len(short)] == short or long_[-len(short) :] == short)


class RegistryIndex:
    """Persons to match against, by national id hash and birth date: the file's own
    earlier rows (``Importer.file_index``) or the registry as a run has read it
    (``RegistryCache.index``)."""

    def __init__(self, persons: list[Candidate]):
        self.by_hash: dict[str, Candidate] = {}
        self.by_birth: dict[date, list[Candidate]] = defaultdict(list)
        for p in persons:
            self.add(p)

    def add(self, p: Candidate) -> None:
        if p.id_hash:
            self.by_hash[p.id_hash] = p
        if p.birth_date:
            self.by_birth[p.birth_date].append(p)

    def candidates_near(self, born: date) -> list[Candidate]:
        out = list(self.by_birth.get(born, ()))
        swapped = swapped_day_month(born)
        if swapped:
            out += self.by_birth.get(swapped, ())
        return out


class RegistryCache:
    """The registry as an import's chunks need it, read once per birth date and national
    id hash and kept for the rest of the run (the chunks of an extract share most birth
    dates: a chunk's own query read the same persons again and again, 750,000 rows for
    100,000 data rows).

    Persons the run creates itself (``created``) are left out: each is in the file's own
    index, asked first, as the row it was made from, with the same names, birth date and
    hash. Registry persons the run changes (a national id or a birth date added) are
    changed here too (``changed``), so that the index is what the transaction sees. A
    date's candidates are kept in id order."""

    def __init__(self):
        self.index = RegistryIndex([])
        self.known: dict[int, Candidate] = {}
        self.dates: set[date] = set()
        self.hashes: set[str] = set()
        self.created: set[int] = set()
        self.same = {}.setdefault  # a name key or date as first read, for all that repeat it

    def for_rows(self, birth_dates: set[date], id_hashes: set[str]) -> RegistryIndex:
        """The index, with every registry person of these birth dates (and the same
        dates with day and month swapped) and national id hashes in it."""
        dates = set(birth_dates)
        dates |= {d for d in (swapped_day_month(b) for b in birth_dates) if d}
        new_dates, new_hashes = sorted(dates - self.dates), sorted(set(id_hashes) - self.hashes)
        self.dates.update(new_dates)
        self.hashes.update(new_hashes)
        same = self.same
        for column, values in (("birth_date", new_dates), ("national_id_hash", new_hashes)):
            for pk, first, last, born, id_hash in _registry_rows(column, values) if values else ():
                if pk not in self.known and pk not in self.created:
                    # Names and dates repeat: each kept once (a third of the index's memory)
                    first, last, born = same(first, first), same(last, last), same(born, born)
                    self._add(Candidate(pk, first, last, born, id_hash))
        return self.index

    def changed(self, pk: int, first_key: str, last_key: str, born, id_hash) -> None:
        """A registry person the run has changed; nothing to do if not read yet (a later
        read finds the new values)."""
        old = self.known.get(pk)
        if old is None:
            return
        new = Candidate(pk, first_key, last_key, born, id_hash or None)
        index = self.index
        if old.id_hash and index.by_hash.get(old.id_hash) is old:
            del index.by_hash[old.id_hash]
        if old.birth_date:
            index.by_birth[old.birth_date].remove(old)
        self._add(new)

    def _add(self, c: Candidate) -> None:
        self.known[c.pk] = c
        if c.id_hash:
            self.index.by_hash[c.id_hash] = c
        if c.birth_date:
            bisect.insort(self.index.by_birth[c.birth_date], c, key=attrgetter("pk"))


def _registry_rows(column: str, values: list) -> list[tuple]:
    """``Person.objects.filter(<column>__in_array=values).values_list(pk, keys, birth
    date, hash)``; on PostgreSQL on the bulk cursor, the array sent in binary (no
    quoting of each element) and the rows fetched as plain tuples."""
    fields = ("pk", "first_name_key", "last_name_key", "birth_date", "national_id_hash")
    if not tables.fast():
        return list(Person.objects.filter(**{f"{column}__in_array": values}).values_list(*fields))
    with bulk_cursor() as cursor:
        cursor.execute(
            "SELECT id, first_name_key, last_name_key, birth_date, national_id_hash "  # noqa: S608
            f"FROM {Person._meta.db_table} WHERE {column} = ANY(%b)",
            [values],
        )
        return cursor.fetchall()


def decide(
    first: str,
    last: str,
    born: date | None,
    id_hash: str | None,
    index: RegistryIndex,
    texts: Texts | None = None,
) -> Decision:
    """Match one row against ``index`` (registry persons, or earlier rows of the file);
    ``texts``: the explanations in the active language, when the caller has them."""
    texts = texts or Texts.now()
    if id_hash and id_hash in index.by_hash:
        hit = index.by_hash[id_hash]
        if (hit.first_key, hit.last_key, hit.birth_date) == (first, last, born):
            reason = texts.same_id_name_birth
        elif (why := near_miss_reason(first, last, born, hit)) is not None:
            # One side holds a typo: the admin decides which spelling is right.
            return Decision(
                REVIEW,
                _("Same national id number, but %(why)s: check which is right before linking.")
                % {"why": why},
                candidates=[hit.pk],
                rule="national_id_typo",
            )
        else:
            reason = texts.same_id_name_changed
        return Decision(MATCHED, reason, person_pk=hit.pk, rule="national_id")
    exact, near = [], []
    for c in index.candidates_near(born) if born else ():
        if c.first_key != first and c.last_key != last and c.last_key != first:
            continue  # shares no name (nor a swapped one): neither the same nor a near miss
        if (c.first_key, c.last_key, c.birth_date) == (first, last, born):
            exact.append(c)
        elif (why := near_miss_reason(first, last, born, c)) is not None:
            near.append((c, why))
    if exact:
        if id_hash:
            conflicting = [c for c in exact if c.id_hash]
            if conflicting:
                return Decision(
                    REVIEW,
                    _(
                        "Same name and birth date, but a different national id number: "
                        "not the same person unless you say so."
                    ),
                    candidates=[c.pk for c in conflicting],
                    rule="national_id_conflict",
                )
        if len(exact) > 1:
            return Decision(
                REVIEW,
                _("%(n)s registered persons have this exact name and birth date: choose one.")
                % {"n": len(exact)},
                candidates=[c.pk for c in exact],
                rule="ambiguous",
            )
        return Decision(
            MATCHED,
            texts.same_name_birth,
            person_pk=exact[0].pk,
            rule="name_birth",
        )
    if near:
        reasons = "; ".join(sorted({why for _c, why in near}))
        return Decision(
            REVIEW,
            _("Looks like a registered person, but %(why)s: not linked automatically.")
            % {"why": reasons},
            candidates=[c.pk for c, _why in near],
            rule="near_miss",
        )
    return Decision(NEW, texts.nobody, rule="new")
