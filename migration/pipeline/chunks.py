"""The member rows of a run as they go through it: a row (``RowWork``) with its
normalised values and decision, and a decided chunk of them (``Chunk``)."""

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from members import identity
from migration.pipeline import tables
from migration.pipeline.guardians import GuardianPlan
from migration.pipeline.match import Decision
from migration.pipeline.normalise import Checked, name_key
from migration.pipeline.persons import NewPerson
from migration.pipeline.stored import Stored


def pk_of(ref) -> int | None:
    return ref.pk if isinstance(ref, NewPerson) else ref


@dataclass
class RowWork:
    """One member row on its way through the chunk."""

    number: int
    raw: dict
    checked: Checked
    decision: Decision | None = None
    person: NewPerson | int | None = None  # a new person (pk set once written) or a pk
    candidates: list = field(default_factory=list)  # pks or Persons (rows of this file)
    v: dict = field(init=False, repr=False)  # the normalised values (read many times a row)

    def __post_init__(self):
        self.v = self.checked.values

    @cached_property  # the values do not change once the row is normalised
    def key(self) -> tuple[str, str, date | None]:
        return (name_key(self.v["first_name"]), name_key(self.v["last_name"]), self.v["birth_date"])

    @cached_property
    def id_hash(self) -> str | None:
        return identity.national_id_hash(self.v["national_id"]) if self.v["national_id"] else None

    @cached_property
    def as_json(self) -> dict:
        """The import row's JSON columns and problem codes, which depend on the file's
        row alone (written ahead, off the importer's thread)."""
        return json_columns(self.raw, self.checked)


@dataclass
class Chunk:
    """A chunk of member rows, decided: the rows, their guardians (``plan_guardians``),
    what the database held for them (``stored``) and the guardians written before it
    that rows of it turned out to be."""

    works: list[RowWork]
    guardians: GuardianPlan | None = None
    stored: Stored = field(default_factory=Stored)
    birthless: list[tuple[NewPerson | int, dict]] = field(default_factory=list)
    fresh: set[int] = field(default_factory=set)  # ids of the NewPersons decided here

    def made(self, person: NewPerson) -> NewPerson:
        self.fresh.add(id(person))
        return person

    def found_again(self, known: NewPerson | int, v: dict) -> None:
        """A guardian without birth date is the person of member row ``v``: one decided
        in this chunk is completed now, before it is written; one written already, when
        the chunk is."""
        if isinstance(known, NewPerson) and id(known) in self.fresh:
            known.birth_date = known.birth_date or v["birth_date"]
            known.gender = known.gender or v["gender"]
            known.national_id = known.national_id or v["national_id"]
        else:
            self.birthless.append((known, v))


def json_columns(raw: dict, checked: Checked) -> dict:
    """An import row's ``raw``, ``values`` and ``problems`` as JSON text, and its problem
    codes."""
    return {
        "raw": tables.JsonText(tables.to_json(raw)),
        "values": tables.JsonText(tables.to_json(checked.values)),
        "problems": tables.JsonText(tables.to_json([p.as_dict() for p in checked.problems])),
        "codes": ",".join(sorted({p.code for p in checked.problems}))[:250],
    }
