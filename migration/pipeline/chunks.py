"""The member rows of a run as they go through it: a row (``RowWork``) with its
normalised values and decision, and a decided chunk of them (``Chunk``)."""

from dataclasses import dataclass, field
from datetime import date

from members import identity
from migration.pipeline import tables
from migration.pipeline.guardians import GuardianPlan
from migration.pipeline.match import Decision
from migration.pipeline.normalise import Checked, name_key
from migration.pipeline.persons import NewPerson
from migration.pipeline.stored import Stored


def pk_of(ref) -> int | None:
    return ref.pk if isinstance(ref, NewPerson) else ref


@dataclass(slots=True, eq=False)
class RowWork:
    """One member row on its way through the chunk. What depends on the file's row alone
    — its matching key, national id hash and the import row's JSON columns — is made
    with it, where the rows are read (off the importer's thread)."""

    number: int
    raw: dict
    checked: Checked
    decision: Decision | None = None
    person: NewPerson | int | None = None  # a new person (pk set once written) or a pk
    candidates: list = field(default_factory=list)  # pks or Persons (rows of this file)
    v: dict = field(init=False, repr=False)  # the normalised values (read many times a row)
    key: tuple[str, str, date | None] = field(init=False, repr=False)
    id_hash: str | None = field(init=False, repr=False)
    as_json: dict = field(init=False, repr=False)  # ``json_columns``

    def __post_init__(self):
        v = self.v = self.checked.values
        self.key = (name_key(v["first_name"]), name_key(v["last_name"]), v["birth_date"])
        self.id_hash = identity.national_id_hash(v["national_id"]) if v["national_id"] else None
        self.as_json = json_columns(self.raw, self.checked)


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


_NO_PROBLEMS = {"problems": tables.JsonText("[]"), "codes": ""}


def json_columns(raw: dict, checked: Checked) -> dict:
    """An import row's ``raw``, ``values`` and ``problems`` as JSON text, and its problem
    codes."""
    problems = checked.problems
    return {
        "raw": tables.JsonText(tables.to_json(raw)),
        "values": tables.JsonText(tables.to_json(checked.values)),
        **(
            {
                "problems": tables.JsonText(tables.to_json([p.as_dict() for p in problems])),
                "codes": ",".join(sorted({p.code for p in problems}))[:250],
            }
            if problems
            else _NO_PROBLEMS
        ),
    }
