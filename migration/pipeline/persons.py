"""Persons the import creates, kept as plain records until their chunk is written.

A ``NewPerson`` holds what ``Person(...)`` would; ``write_new_persons`` stores many at
once with their history (``tables``), giving each its id. Names are cleaned and keyed by
``Person.clean_names`` as for any other save.
"""

import os
import uuid
from dataclasses import dataclass
from datetime import date

from members import identity
from members.models import Person
from migration.pipeline.tables import History, reserve_ids
from migration.pipeline.writer import Writer


@dataclass(slots=True, eq=False)
class NewPerson:
    first_name: str
    last_name: str
    birth_date: date | None = None
    gender: str = ""
    email: str = ""
    mobile: str = ""  # E.164 text, as the normaliser writes it
    address_line: str = ""
    postal_code: str = ""
    city: str = ""
    national_id: str = ""  # validated, clear; encrypted when written
    id_hash: str | None = None  # of national_id, when the row had it made already
    pk: int | None = None
    row: dict | None = None  # the table row, made ahead (``prepare_rows``) until written


def new_person(v: dict, id_hash: str | None = None) -> NewPerson:
    """The person a member row describes (normalised values; ``id_hash`` of its national
    id number, when known)."""
    return NewPerson(
        first_name=v["first_name"],
        last_name=v["last_name"],
        birth_date=v["birth_date"],
        gender=v["gender"],
        email=v["email"],
        mobile=v["mobile"],
        address_line=v["address"],
        postal_code=v["postal_code"],
        city=v["city"],
        national_id=v["national_id"],
        id_hash=id_hash if v["national_id"] else None,
    )


def prepare_rows(people: list[NewPerson]) -> None:
    """Make each person's table row: names cleaned and keyed (``Person.clean_names``),
    the national id encrypted and hashed, a public id (one read of the system's random
    source for them all). Done where the persons are decided, off the writing thread;
    a person must not change afterwards."""
    randoms = os.urandom(16 * len(people))
    for i, p in enumerate(people):
        first, last, first_key, last_key = Person.clean_names(p.first_name, p.last_name)
        row = {
            "public_id": uuid.UUID(bytes=randoms[16 * i : 16 * i + 16], version=4),
            "first_name": first,
            "last_name": last,
            "first_name_key": first_key,
            "last_name_key": last_key,
            "birth_date": p.birth_date,
            "gender": p.gender,
            "email": p.email,
            "mobile": str(p.mobile or ""),
            "address_line": p.address_line,
            "postal_code": p.postal_code,
            "city": p.city,
        }
        if p.national_id:
            row["national_id_encrypted"] = identity.encrypt(p.national_id)
            row["national_id_hash"] = p.id_hash or identity.national_id_hash(p.national_id)
        p.row = row


def write_new_persons(
    people: list[NewPerson], *, user=None, reason: str, writer: Writer | None = None
) -> list[int]:
    """Store the unwritten ``people`` (each once) with their "+" history; sets ``pk`` at
    once, and the rows are written through ``writer`` (now without one)."""
    people = [p for p in people if p.pk is None]
    if not people:
        return []
    prepare_rows([p for p in people if p.row is None])
    rows = [p.row for p in people]
    ids = reserve_ids(Person, len(people))
    for p, pk in zip(people, ids, strict=True):
        p.pk, p.row = pk, None
    writer = writer or Writer()
    writer.insert(Person, rows, ids, History("+", user, reason))
    return ids
