"""Property tests for the matching rules (R-MIG-3, R-MIG-4): what normalisation forgives
always matches, and a near miss never does. No database: the registry is a
``RegistryIndex`` of ``Candidate``s."""

import unicodedata
from datetime import date

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from members.identity import clean_name, name_key
from migration.pipeline import match
from migration.pipeline.match import Candidate, RegistryIndex, decide

FAST = settings(max_examples=200, deadline=None)

LOWER = "abcdefghijklmnopqrstuvwxyzæøåéèüöäáñç"
WORD = st.text(alphabet=LOWER, min_size=1, max_size=9)
NAME = st.lists(WORD, min_size=1, max_size=3).map(" ".join)
BORN = st.dates(min_value=date(1925, 1, 1), max_value=date(2024, 12, 31))
SPACES = st.sampled_from(["", " ", "  ", "\t", "\xa0", " \t "])
SEPARATORS = st.sampled_from([" ", "-", "  ", " - ", "\u2010", "\u2013", "\t", "\xa0"])
PK = 42


def registry(first: str, last: str, born: date, id_hash: str | None = None) -> RegistryIndex:
    """The registry holds the person (pk 42) and a few others born on other days."""
    others = [
        Candidate(7, "ola", "nordmann", date(1990, 1, 1), None),
        Candidate(8, name_key(first), name_key(last), date(1900, 6, 15), None),
    ]
    return RegistryIndex([Candidate(PK, name_key(first), name_key(last), born, id_hash), *others])


def row(first: str, last: str, born: date, index: RegistryIndex, id_hash: str | None = None):
    """Decide a file row the way the importer does: its names go through the same
    cleaning and key as the registry's."""
    return decide(name_key(clean_name(first)), name_key(clean_name(last)), born, id_hash, index)


@st.composite
def written_differently(draw, name: str) -> str:
    """The same name with other case, whitespace, hyphens for spaces and Unicode form."""
    words = name.split(" ")
    out = draw(SPACES)
    for i, word in enumerate(words):
        if i:
            out += draw(SEPARATORS)
        out += "".join(c.upper() if draw(st.booleans()) else c for c in word)
    out += draw(SPACES)
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), out)


@st.composite
def one_letter_changed(draw, name: str) -> str:
    """``name`` with one letter substituted, inserted or deleted (a deletion never
    removes a whole one-letter word: that is a missing name, tested on its own)."""
    letters = [i for i, c in enumerate(name) if c != " "]
    deletable = [
        i
        for i in letters
        if name[i - 1 : i] not in ("", " ") or name[i + 1 : i + 2] not in ("", " ")
    ]
    ops = ["substitute", "insert"] + (["delete"] if len(letters) >= 2 and deletable else [])
    op = draw(st.sampled_from(ops))
    if op == "insert":
        at = draw(st.integers(0, len(name)))
        return name[:at] + draw(st.sampled_from(LOWER)) + name[at:]
    if op == "delete":
        at = draw(st.sampled_from(deletable))
        return name[:at] + name[at + 1 :]
    at = draw(st.sampled_from(letters))
    new = draw(st.sampled_from(LOWER).filter(lambda c: c != name[at]))
    return name[:at] + new + name[at + 1 :]


# --- normalisation ---------------------------------------------------------------------


@FAST
@given(st.text())
def test_name_key_is_idempotent(text):
    """R-MIG-3: normalising a normalised name changes nothing."""
    assert name_key(name_key(text)) == name_key(text)


@FAST
@given(st.text())
def test_clean_name_is_idempotent_and_keeps_the_key(text):
    """R-MIG-3: cleaning a cleaned name changes nothing, and the stored (cleaned) name
    has the same matching key as the name in the file."""
    assert clean_name(clean_name(text)) == clean_name(text)
    assert name_key(clean_name(text)) == name_key(text)


@FAST
@given(st.data(), NAME)
def test_name_key_forgives_case_space_hyphen_and_unicode_form(data, name):
    """R-MIG-3: case, surrounding and repeated whitespace, hyphen vs space and NFC vs NFD
    give the same key."""
    assert name_key(data.draw(written_differently(name))) == name_key(name)


# --- what must match ---------------------------------------------------------------------


@FAST
@given(st.data(), NAME, NAME, BORN)
def test_same_person_written_differently_matches(data, first, last, born):
    """R-MIG-3: first name + last name + birth date equal after normalisation link the
    row to the registered person."""
    index = registry(first, last, born)
    decision = row(
        data.draw(written_differently(first)), data.draw(written_differently(last)), born, index
    )
    assert (decision.outcome, decision.person_pk) == (match.MATCHED, PK), decision.reason


@FAST
@given(NAME, NAME, NAME, NAME, BORN)
def test_national_id_on_both_sides_decides_alone(first, last, other_first, other_last, born):
    """R-MIG-3: the same national id number links even when the name has changed
    (unless the name is a near miss, which goes to review); a different number never
    links, even with the same name and birth date."""
    index = registry(first, last, born, id_hash="same")
    decision = row(other_first, other_last, born, index, id_hash="same")
    assert decision.outcome in (match.MATCHED, match.REVIEW)
    if decision.outcome == match.MATCHED:
        assert decision.person_pk == PK
    assert row(first, last, born, index, id_hash="other").outcome == match.REVIEW


# --- what must never match ---------------------------------------------------------------


@FAST
@given(st.data(), NAME, NAME, BORN, st.booleans())
def test_one_letter_apart_never_matches(data, first, last, born, change_first):
    """R-MIG-4: a name one letter apart (substituted, inserted or deleted) from a
    registered person with the same birth date goes to review, never matched."""
    if change_first:
        assume(len(first.replace(" ", "")) >= 2)
        changed_first, changed_last = data.draw(one_letter_changed(first)), last
    else:
        assume(len(last.replace(" ", "")) >= 2)
        changed_first, changed_last = first, data.draw(one_letter_changed(last))
    assume((name_key(changed_first), name_key(changed_last)) != (name_key(first), name_key(last)))
    decision = row(changed_first, changed_last, born, registry(first, last, born))
    assert decision.outcome == match.REVIEW, (changed_first, changed_last, decision.reason)
    assert decision.person_pk is None and PK in decision.candidates


@FAST
@given(st.data(), NAME, NAME, BORN)
def test_swapped_first_and_last_name_never_matches(data, first, last, born):
    """R-MIG-4: first and last name swapped (however written) goes to review."""
    assume(name_key(first) != name_key(last))
    decision = row(
        data.draw(written_differently(last)),
        data.draw(written_differently(first)),
        born,
        registry(first, last, born),
    )
    assert decision.outcome == match.REVIEW and PK in decision.candidates, decision.reason


@FAST
@given(NAME, NAME, st.integers(1925, 2024), st.integers(1, 12), st.integers(1, 12))
def test_swapped_day_and_month_never_matches(first, last, year, day, month):
    """R-MIG-4: the birth date with day and month swapped goes to review."""
    assume(day != month)
    registered, written = date(year, month, day), date(year, day, month)
    decision = row(first, last, written, registry(first, last, registered))
    assert decision.outcome == match.REVIEW and PK in decision.candidates, decision.reason


@FAST
@given(NAME, NAME, BORN, BORN)
def test_namesake_with_another_birth_date_is_a_new_person(first, last, born, other):
    """R-MIG-4 (data/README.md): the same name with another birth date is not linked;
    unless it is the day/month swap, it is simply a new person."""
    assume(other != born)
    decision = row(first, last, other, registry(first, last, born))
    assert decision.outcome != match.MATCHED
    if other != match.swapped_day_month(born):
        assert decision.outcome == match.NEW


@FAST
@given(NAME, WORD, NAME, BORN, st.booleans(), st.booleans())
def test_a_missing_middle_name_never_matches(first, middle, last, born, in_last, before):
    """R-MIG-4: a middle name on one side only ("Anne Marie" / "Anne", or "Berg Hansen" /
    "Hansen" when the old system kept it with the last name) goes to review."""
    if in_last:
        full = f"{middle} {last}" if before else f"{last} {middle}"
        registered = registry(first, full, born)
    else:
        full = f"{middle} {first}" if before else f"{first} {middle}"
        registered = registry(full, last, born)
    decision = row(first, last, born, registered)
    assert decision.outcome == match.REVIEW and PK in decision.candidates, decision.reason


@FAST
@given(st.text(alphabet="abc", max_size=6), st.text(alphabet="abc", max_size=6))
def test_edit_distance_at_most_one_agrees_with_a_plain_definition(a, b):
    """R-MIG-4: "one letter apart" means one substitution, insertion, deletion or swap of
    neighbours, and nothing more."""

    def neighbours(s: str) -> set[str]:
        out = {s}
        for i in range(len(s) + 1):
            out |= {s[:i] + c + s[i:] for c in "abc"}
            if i < len(s):
                out.add(s[:i] + s[i + 1 :])
                out |= {s[:i] + c + s[i + 1 :] for c in "abc"}
            if i + 1 < len(s):
                out.add(s[:i] + s[i + 1] + s[i] + s[i + 2 :])
        return out

    assert match.edit_distance_at_most_one(a, b) == (b in neighbours(a))
