"""Benchmark: import of a 100,000-row federation extract, against a raw COPY of the same persons.

    .venv/bin/python bench/import.py          (or: make bench)

1. Drops and recreates the PostgreSQL database ``ims_bench_import`` and migrates it, so
   that every run starts from the same state. ``DATABASE_URL`` chooses the server and
   the name, to which ``_import`` is added: the database it names is never dropped
   (``…/ims_bench``, the member-list bench's, gives ``…/ims_bench_import``).
2. Loads, through PostgreSQL COPY, a registry of 100,000 persons (name keys from
   ``members.identity``, a third with an encrypted national id number), each a member
   of another club.
3. Writes, from a seeded random generator, a federation extract into a temporary folder:
   members.csv with 100,000 rows and groups.csv with 30 groups, Windows-1252, ``;``,
   CRLF (shared/data/README.md). The rows are a mix: ~40 % registry persons (some written
   with other case, spacing or hyphens), ~5 % near misses (one letter off), ~1 % duplicates
   of earlier rows, ~1 % bad rows, the rest new persons; children with guardians,
   categories, groups, payment method, next billing date.
4. Imports the folder in a child process through the operator's path,
   ``migration.services.import_now`` (what ``manage.py import_members`` runs, here
   without ``--report``), so that the generator's memory does not count. Prints the wall
   time, rows/s, the outcome totals, the child's peak RSS, the CPU time of the child and
   of its PostgreSQL backend (when the server runs on this machine), the write-ahead log
   the server wrote, and, apart, how long ``--report`` would add (the rows read back).
5. Baseline, in the same run: a raw COPY of the same 100,000 rows, converted to
   members_person rows beforehand, into a scratch table ``LIKE members_person``. Prints
   the ratio import/COPY and whether the goals hold: ≤ 15 s and peak RSS ≤ 400 MB.
   docs/benchmarks.md records the figures.
"""

import argparse
import cProfile
import csv
import dataclasses
import datetime as dt
import io
import json
import os
import pstats
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migration.pipeline.columns import GROUP_COLUMNS, MEMBER_COLUMNS  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ims_bench"
CLUB_SLUG = "bench-import"
REGISTRY_CLUB_SLUG = "bench-registry"
EMAIL_DOMAIN = "bench-import.invalid"
GOAL_SECONDS = 15.0
GOAL_RSS_MB = 400.0
# Fixed, so that the files are the same whatever day the bench runs (birth dates stay in
# the past: the youngest person is four years older than this day).
ANCHOR = dt.date(2026, 11, 25)


def import_database_url(url: str) -> str:
    """The URL of the database this bench drops and recreates: ``url`` with ``_import``
    added to the database name (unless it ends so already)."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.endswith("_import"):
        name += "_import"
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


os.environ["DATABASE_URL"] = import_database_url(
    os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ["DEBUG"] = "False"


def _words(text: str) -> list[str]:
    return text.split()


FIRST_F = _words(
    "Anne Inger Kari Marit Ingrid Liv Eva Berit Astrid Bjørg Hilde Anna Solveig Marianne "
    "Randi Ida Nina Maria Elisabeth Kristin Silje Ingeborg Nora Emma Sofie Åse Tone Mari "
    "Thea Tiril Maja Ella Sara Hanne Marte Linnea Live Frida Vilde Ylva Julie Amalie Hedda "
    "Oda Selma Eline Tuva Mathilde Synne Guro Ragnhild Sigrid Torunn Unni Wenche Jorunn"
)
FIRST_M = _words(
    "Jan Per Bjørn Ole Lars Kjell Knut Arne Svein Thomas Hans Geir Tor Morten Terje Odd "
    "Martin Erik Andreas Jon Anders Rune Trond Harald Olav Øyvind Jonas Magnus Jakob Emil "
    "Sander Henrik Even Tobias Mathias Noah Oskar Filip Kristian Håkon Øystein Aksel Sindre "
    "Ludvig Iver Theodor Brage Ask Vetle Eirik Sigurd Torstein Vegard Åsmund Gaute Halvard"
)
LAST = _words(
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Johnsen Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl "
    "Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen Iversen Strand "
    "Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken Kristoffersen Mathisen Lie "
    "Amundsen Nguyen Rasmussen Ali Lunde Solheim Berge Moe Nygård Bakke Kristensen Fredriksen "
    "Holm Lien Hauge Christensen Andresen Nielsen Knudsen Evensen Sæther Aas Myhre Hanssen "
    "Ahmed Haugland Thomassen Sivertsen Simonsen Danielsen Berntsen Sandvik Rønning Arnesen "
    "Antonsen Næss Vik Haug Ellingsen Thorsen Edvardsen Birkeland Isaksen Gulbrandsen Ruud "
    "Aasen Strøm Myklebust Tangen Ødegård Eliassen Helland Bøe Jenssen Aune Mikkelsen Tveit "
    "Løken Brekke Fossum Tollefsen Wold Engen Sunde Ødegaard Kvam Dale Stene Riise Grønlund"
)
STREETS = _words("Storgata Kirkeveien Skogveien Bjørkelia Fjellveien Sjøgata Lia Bekkeveien")
PLACES = [
    ("0150", "OSLO"),
    ("0373", "OSLO"),
    ("0482", "OSLO"),
    ("1360", "FORNEBU"),
    ("5003", "BERGEN"),
    ("7010", "TRONDHEIM"),
    ("4006", "STAVANGER"),
    ("9008", "TROMSØ"),
]
ACTIVITIES = _words("Turn Fotball Svømming Friidrett Håndball Ski")
LEVELS = _words("nybegynner viderekommende konkurranse senior trim")
# The extract's own columns (migration/pipeline/columns.py), without the three our
# export adds: the first alias of each field is the federation's Norwegian header.
FIELDS = [f for f in MEMBER_COLUMNS if f not in ("person_id", "status", "source")]
MEMBER_HEADERS = [MEMBER_COLUMNS[f][0] for f in FIELDS]
GROUP_HEADERS = [aliases[0] for aliases in GROUP_COLUMNS.values()]
# What each kind of row must become (the mix by construction; chance namesakes in the
# random data move a few rows).
EXPECTED = {"exact": "matched", "near": "review", "dup": "merged", "bad": "rejected", "new": "new"}


# --- Database ------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    """Drop and create the bench database: every run starts from the same, empty state."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit(f"bench: needs PostgreSQL, DATABASE_URL is {url!r}")
    libpq_url = "postgresql://" + url.split("://", 1)[1]
    name = conninfo_to_dict(libpq_url)["dbname"]
    if not name.endswith("_import"):
        sys.exit(f"bench: will not drop {name!r}, only a database whose name ends in _import")
    with psycopg.connect(make_conninfo(libpq_url, dbname="postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def copy_dicts(table: str, columns: list[str], rows) -> None:
    """COPY rows (dicts by column) into ``table``; a column a row leaves out (a field
    with a null or database default) is left out of the COPY."""
    from django.db import connection

    rows = list(rows)
    if rows:
        columns = [c for c in columns if c in rows[0]]

    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} ({names}) FROM STDIN"  # noqa: S608 - our own table and columns
        ) as copy,
    ):
        for row in rows:
            copy.write_row([row[c] for c in columns])


def reserve_ids(table: str, count: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


# --- The data ------------------------------------------------------------------------------


@dataclasses.dataclass
class Someone:
    """A person as the generator knows them (the truth behind a registry row or a CSV row)."""

    first: str
    last: str
    born: dt.date
    male: bool
    national_id: str = ""
    email: str = ""
    mobile: str = ""  # 8 digits
    street: str = ""
    place: tuple[str, str] = ("", "")


@dataclasses.dataclass
class Row:
    kind: str  # exact, near, dup, bad, new
    values: dict  # canonical field → text as written in the CSV
    order: float = 0.0
    extra: dict = dataclasses.field(default_factory=dict)


def _ascii(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})
    return re.sub(r"[^a-z0-9.]", "", text.translate(table).lower().replace(" ", "."))


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.national_ids: set[str] = set()
        self.serial = 0

    # persons
    def first_name(self, male: bool) -> str:
        rng = self.rng
        names = FIRST_M if male else FIRST_F
        first = rng.choice(names)
        if rng.random() < 0.12:  # double first names, with a hyphen or a space
            first += rng.choice("- ") + rng.choice(names)
        return first

    def last_name(self) -> str:
        rng = self.rng
        last = rng.choice(LAST)
        if rng.random() < 0.08:
            last += rng.choice("- ") + rng.choice(LAST)
        return last

    def birth_date(self) -> dt.date:
        rng = self.rng
        if rng.random() < 0.4:  # a sports club: many children
            days = rng.randint(5 * 365, 18 * 365 - 1)
        else:
            days = rng.randint(18 * 365, 85 * 365)
        return ANCHOR - dt.timedelta(days=days)

    def national_id(self, born: dt.date, male: bool) -> str:
        from members.demo import national_id_for

        while True:
            number = national_id_for(born, self.rng, male)
            if number not in self.national_ids:
                self.national_ids.add(number)
                return number

    def mobile(self) -> str:
        return f"{self.rng.choice('49')}{self.rng.randint(0, 9_999_999):07d}"

    def email(self, first: str, last: str) -> str:
        self.serial += 1
        return f"{_ascii(first)}.{_ascii(last)}.{self.serial}@{EMAIL_DOMAIN}"

    def someone(self, *, national_id_share: float) -> Someone:
        rng = self.rng
        male = rng.random() < 0.5
        first, last, born = self.first_name(male), self.last_name(), self.birth_date()
        adult = age_on(born, ANCHOR) >= 18
        return Someone(
            first=first,
            last=last,
            born=born,
            male=male,
            national_id=self.national_id(born, male) if rng.random() < national_id_share else "",
            email=self.email(first, last) if rng.random() < (0.85 if adult else 0.2) else "",
            mobile=self.mobile() if rng.random() < (0.8 if adult else 0.3) else "",
            street=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
            place=rng.choice(PLACES),
        )


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def load_registry(gen: Generator, count: int) -> list[Someone]:
    """``count`` persons in members_person, each a member of another club, through COPY."""
    from django.db import connection, transaction
    from django.utils import timezone

    from members import identity
    from members.models import Club, Membership, Person

    people = [gen.someone(national_id_share=0.35) for _ in range(count)]
    now = timezone.now()
    with transaction.atomic():
        club = Club.objects.create(slug=REGISTRY_CLUB_SLUG, name="Registerklubben IL")
        person_ids = reserve_ids(Person._meta.db_table, count)
        person_columns = [f.column for f in Person._meta.concrete_fields]
        rows = []
        for pk, p in zip(person_ids, people, strict=True):
            first, last = identity.clean_name(p.first), identity.clean_name(p.last)
            rows.append(
                {
                    "id": pk,
                    "public_id": uuid.UUID(int=gen.rng.getrandbits(128), version=4),
                    "first_name": first,
                    "last_name": last,
                    "birth_date": p.born,
                    "gender": "male" if p.male else "female",
                    "national_id_encrypted": identity.encrypt(p.national_id)
                    if p.national_id
                    else "",
                    "national_id_hash": identity.national_id_hash(p.national_id)
                    if p.national_id
                    else None,
                    "email": p.email,
                    "mobile": f"+47{p.mobile}" if p.mobile else "",
                    "address_line": p.street,
                    "co_line": "",
                    "postal_code": p.place[0],
                    "city": p.place[1],
                    "country": "NO",
                    "first_name_key": identity.name_key(first),
                    "last_name_key": identity.name_key(last),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        copy_dicts(Person._meta.db_table, person_columns, rows)
        membership_ids = reserve_ids(Membership._meta.db_table, count)
        membership_columns = [f.column for f in Membership._meta.concrete_fields]
        copy_dicts(
            Membership._meta.db_table,
            membership_columns,
            (
                {
                    "id": mid,
                    "club_id": club.pk,
                    "person_id": pid,
                    "category_id": None,
                    "household_id": None,
                    "status": "active",
                    "member_number": str(i + 1),
                    "payment_method": "invoice",
                    "next_billing_date": None,
                    "source": "migrated",
                    "started_on": ANCHOR - dt.timedelta(days=365),
                    "ended_on": None,
                    "created_at": now,
                }
                for i, (mid, pid) in enumerate(zip(membership_ids, person_ids, strict=True))
            ),
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        # Every run starts just after a checkpoint: whether the server's next one falls
        # inside the import (and makes it log whole pages again) must not depend on how
        # much the loading above happened to write.
        cursor.execute("CHECKPOINT")
    return people


# --- The extract ---------------------------------------------------------------------------


def date_text(day: dt.date, rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.85:
        return day.strftime("%d.%m.%Y")
    if draw < 0.95:
        return f"{day.day}.{day.month}.{day.year}"
    return day.isoformat()


def mobile_text(digits: str, rng: random.Random) -> str:
    if not digits:
        return ""
    draw = rng.random()
    if draw < 0.55:
        return digits
    if draw < 0.8:
        return f"{digits[:3]} {digits[3:5]} {digits[5:]}"
    if draw < 0.92:
        return f"+47 {digits}"
    return f"0047{digits}"


def gender_text(male: bool, adult: bool, rng: random.Random) -> str:
    if rng.random() < 0.1:
        return ""
    if male:
        return rng.choice(("M", "Mann") if adult else ("M", "Gutt"))
    return rng.choice(("K", "Kvinne") if adult else ("K", "Jente"))


def category_for(born: dt.date, rng: random.Random) -> str:
    if rng.random() < 0.05:
        return "Familie"
    age = age_on(born, ANCHOR)
    if age < 13:
        return "Barn 6–12"
    if age < 20:
        return "Ungdom 13–19"
    if age >= 67:
        return "Pensjonist"
    return "Ordinær"


class ExtractWriter:
    """Rows of the federation extract from the generator's persons."""

    def __init__(self, gen: Generator, groups: list[str]):
        self.gen, self.rng, self.groups = gen, gen.rng, groups
        self.guardians: list[tuple[str, str, str, str]] = []  # (first, last, email, mobile)
        self.member_no = 100_000

    def guardian_for(self, child_last: str) -> tuple[str, str, str]:
        rng = self.rng
        if self.guardians and rng.random() < 0.3:  # siblings share a guardian
            first, last, email, mobile = rng.choice(self.guardians[-50:])
        else:
            male = rng.random() < 0.45
            first = self.gen.first_name(male)
            last = child_last if rng.random() < 0.8 else self.gen.last_name()
            email = self.gen.email(first, last) if rng.random() < 0.9 else ""
            mobile = self.gen.mobile() if rng.random() < 0.9 or not email else ""
            self.guardians.append((first, last, email, mobile))
        return f"{first} {last}", email, mobile

    def values(self, p: Someone, *, first=None, last=None, national_id=None) -> dict:
        rng = self.rng
        self.member_no += 1
        adult = age_on(p.born, ANCHOR) >= 18
        guardian = ("", "", "")
        if not adult:
            guardian = self.guardian_for(p.last)
        draw = rng.random()
        groups = rng.sample(self.groups, 2 if draw < 0.15 else 1 if draw < 0.6 else 0)
        method = rng.random()
        joined = max(p.born, ANCHOR - dt.timedelta(days=rng.randint(30, 15 * 365)))
        email, mobile = p.email, mobile_text(p.mobile, rng)
        if rng.random() < 0.01:  # values the data-quality page lists; the row is imported
            email = email.replace("@", "@@") if email else "ikke oppgitt"
        if rng.random() < 0.005:
            mobile = "12345"
        return {
            "member_no": str(self.member_no),
            "first_name": p.first if first is None else first,
            "last_name": p.last if last is None else last,
            "birth_date": date_text(p.born, rng),
            "national_id": p.national_id if national_id is None else national_id,
            "gender": gender_text(p.male, adult, rng),
            "email": email,
            "mobile": mobile,
            "address": p.street,
            "postal_code": p.place[0],
            "city": p.place[1],
            "guardian_name": guardian[0],
            "guardian_email": guardian[1],
            "guardian_mobile": mobile_text(guardian[2], rng),
            "category": category_for(p.born, rng),
            "groups": ", ".join(groups),
            "payment_method": "Faktura" if method < 0.7 else "AvtaleGiro" if method < 0.95 else "",
            "next_billing_date": f"01.{rng.randint(1, 6):02d}.2027" if rng.random() < 0.6 else "",
            "joined": date_text(joined, rng),
        }

    # the kinds of rows
    def exact(self, p: Someone) -> Row:
        """A registry person, sometimes written with other case, spacing or hyphens."""
        rng = self.rng
        first, last = p.first, p.last
        draw = rng.random()
        variation = "verbatim"
        if draw < 0.1 and (" " in first + last or "-" in first + last):
            first, last = _swap_hyphen(first), _swap_hyphen(last)
            variation = "hyphen"
        elif draw < 0.2:
            first, last = (first.upper(), last) if rng.random() < 0.5 else (first, last.lower())
            variation = "case"
        elif draw < 0.3:
            first, last = f" {first.replace(' ', '  ')}", f"{last}  "
            variation = "space"
        if p.national_id:
            national_id = p.national_id if rng.random() < 0.7 else ""
        else:  # the club knows a number the registry lacks: the import adds it
            national_id = self.gen.national_id(p.born, p.male) if rng.random() < 0.1 else ""
        contact = dataclasses.replace(p)
        if rng.random() < 0.1:
            contact.email = self.gen.email(p.first, p.last)
        if not p.mobile and rng.random() < 0.3:
            contact.mobile = self.gen.mobile()
        values = self.values(contact, first=first, last=last, national_id=national_id)
        return Row("exact", values, extra={"variation": variation})

    def near(self, p: Someone) -> Row:
        """A registry person with one letter of a name changed: review, never linked."""
        rng = self.rng
        in_last = rng.random() < 0.7
        name = p.last if in_last else p.first
        changed = _one_letter_off(name, rng)
        national_id = p.national_id if p.national_id and rng.random() < 0.2 else ""
        values = self.values(
            p,
            first=p.first if in_last else changed,
            last=changed if in_last else p.last,
            national_id=national_id,
        )
        return Row("near", values)

    def new(self) -> Row:
        return Row("new", self.values(self.gen.someone(national_id_share=0.3)))

    def bad(self) -> Row:
        rng = self.rng
        p = self.gen.someone(national_id_share=0.0)
        values = self.values(p)
        draw = rng.random()
        if draw < 0.35:
            values["birth_date"] = rng.choice(
                (
                    f"31.02.{p.born.year}",
                    f"30.02.{p.born.year}",
                    f"15.13.{p.born.year}",
                    "01.01.2031",
                )
            )
        elif draw < 0.6:
            values["first_name"] = ""
        elif draw < 0.8:
            values["last_name"] = "  "
        else:
            values["birth_date"] = ""
        return Row("bad", values)

    def dup(self, original: Row) -> Row:
        """The same person again further down (registered twice in the old system)."""
        self.member_no += 1
        values = {**original.values, "member_no": str(self.member_no)}
        if self.rng.random() < 0.3:
            values["first_name"] = values["first_name"].upper()
        return Row("dup", values)


def _swap_hyphen(name: str) -> str:
    if "-" in name:
        return name.replace("-", " ")
    return name.replace(" ", "-")


def _one_letter_off(name: str, rng: random.Random) -> str:
    letters = "abdefghiklmnoprstuvy"
    i = rng.randint(1, len(name) - 2) if len(name) > 2 else len(name) - 1
    while True:
        new = rng.choice(letters)
        if new != name[i].lower():
            return name[:i] + new + name[i + 1 :]


def build_extract(gen: Generator, registry: list[Someone], rows: int, groups: list[str]):
    """The rows of members.csv, in file order."""
    rng = gen.rng
    writer = ExtractWriter(gen, groups)
    n_exact, n_near = round(rows * 0.40), round(rows * 0.05)
    n_dup, n_bad = round(rows * 0.01), round(rows * 0.01)
    n_new = rows - n_exact - n_near - n_dup - n_bad
    chosen = rng.sample(range(len(registry)), n_exact + n_near)
    out = [writer.exact(registry[i]) for i in chosen[:n_exact]]
    out += [writer.near(registry[i]) for i in chosen[n_exact:]]
    out += [writer.new() for _ in range(n_new)]
    out += [writer.bad() for _ in range(n_bad)]
    for row in out:
        row.order = rng.random()
    good = [r for r in out if r.kind in ("exact", "new")]
    for original in rng.sample(good, n_dup):
        dup = writer.dup(original)
        dup.order = original.order + rng.random() * (1 - original.order)
        out.append(dup)
    out.sort(key=lambda r: r.order)
    return out


def write_files(folder: Path, rows: list[Row], groups: list[str]) -> dict[str, int]:
    """members.csv and groups.csv as the old system writes them: Windows-1252, ``;``, CRLF."""
    buffer = io.StringIO(newline="")
    out = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    out.writerow(MEMBER_HEADERS)
    for row in rows:
        out.writerow([row.values[f] for f in FIELDS])
    (folder / "members.csv").write_bytes(buffer.getvalue().encode("cp1252"))
    buffer = io.StringIO(newline="")
    out = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    out.writerow(GROUP_HEADERS)
    for i, name in enumerate(groups):
        fee = 600 + 150 * (i % 8)
        out.writerow(
            [
                name,
                name.split()[0],
                10 + (i % 5) * 5,
                f"{fee // 1000} {fee % 1000:03d},00" if fee >= 1000 else f"{fee},00",
                "Høst 2026",
                f"trener{i + 1:02d}@{EMAIL_DOMAIN}",
            ]
        )
    (folder / "groups.csv").write_bytes(buffer.getvalue().encode("cp1252"))
    return {p.name: p.stat().st_size for p in folder.iterdir()}


# --- The import, in a child process --------------------------------------------------------


def rss_mb(kb: int) -> float:
    return kb / 1024


def peak_rss_kb() -> int:
    """This process's peak resident set size (VmHWM, KiB). Not ru_maxrss: a child started
    by fork and exec keeps in ru_maxrss the peak of the parent it was forked from."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def backend_cpu_seconds() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend process, when the
    server runs on this machine (``/proc``); None otherwise."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def child_import(folder: str, slug: str, profile: str | None) -> None:
    """Run ``import_now`` on the folder and print one JSON line with the figures."""
    import django

    django.setup()
    from django_scopes import scope, scopes_disabled

    from members.models import Club
    from migration import services
    from migration.pipeline.reader import read_path

    with scopes_disabled():
        club = Club.objects.get(slug=slug)
    rss_before = peak_rss_kb()
    marks: dict[str, float] = {}
    rss_marks: dict[str, int] = {}

    def progress(done: int, total: int) -> None:
        now = time.time()
        if done == 0:
            marks["chunks_start"] = now
        if done == total:
            marks["chunks_done"] = now
            rss_marks["chunks_done"] = peak_rss_kb()

    profiler = cProfile.Profile() if profile else None
    backend = backend_cpu_seconds()
    wal = wal_position()
    cpu = os.times()
    started = time.time()  # wall clock: compared with the batch's finished_at below
    if profiler:
        profiler.enable()
    sources = read_path(Path(folder)).sources  # what import_members reads
    batch, _lines = services.import_now(club, sources, progress=progress, report=False)
    totals = services.member_totals(batch)
    finished = time.time()
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    peak = peak_rss_kb()
    cpu_after = os.times()
    backend_after = backend_cpu_seconds()
    wal_after = wal_position()
    count = sum(totals.values())
    # What `import_members --report FILE` adds: the member rows read back for the report.
    with scope(club=club):
        again = time.perf_counter()
        count_again = len(services.report_lines(batch))
        rows_back = time.perf_counter() - again
    chunks_start = marks.get("chunks_start", started)
    chunks_done = marks.get("chunks_done", finished)
    batch_done = batch.finished_at.timestamp()  # set in run_batch just before the commit
    result = {
        "seconds": finished - started,
        "before_chunks": chunks_start - started,
        "chunks": chunks_done - chunks_start,
        "after_chunks": batch_done - chunks_done,
        "commit": finished - batch_done,
        "rows_back_again": rows_back,
        "rows": count,
        "rows_again": count_again,
        "totals": totals,
        "sheets": batch.totals,
        "rss_before_kb": rss_before,
        "rss_chunks_done_kb": rss_marks.get("chunks_done"),
        "maxrss_kb": peak,
        "cpu": (cpu_after.user + cpu_after.system) - (cpu.user + cpu.system),
        "backend_cpu": None if backend is None else backend_after - backend,
        "wal_bytes": wal_after - wal,
    }
    print("RESULT " + json.dumps(result))


def run_child(folder: Path, media: Path, profile: str | None) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "MEDIA_ROOT": str(media),
    }
    env.pop("REDIS_URL", None)  # progress in the local-memory cache, as in `make run`
    command = [sys.executable, __file__, "--child-import", str(folder), "--club", CLUB_SLUG]
    if profile:
        command += ["--profile-file", profile]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"the import exited with {done.returncode}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


# --- The baseline --------------------------------------------------------------------------


def person_rows(rows: list[Row]) -> tuple[list[str], list[tuple]]:
    """The extract's rows as members_person rows (names cleaned, keys, parsed dates, the
    national id encrypted): what the COPY baseline writes, prepared before it is timed."""
    from django.utils import timezone

    from members import identity
    from members.models import Person
    from migration.pipeline.normalise import parse_date

    columns = [f.column for f in Person._meta.concrete_fields if f.column != "id"]
    nullable = {f.column for f in Person._meta.concrete_fields if f.null}
    now = timezone.now()
    rng = random.Random(1)
    genders = {"m": "male", "mann": "male", "gutt": "male", "k": "female", "kvinne": "female"}
    out = []
    for row in rows:
        v = row.values
        first, last = identity.clean_name(v["first_name"]), identity.clean_name(v["last_name"])
        try:
            born = parse_date(v["birth_date"])
        except ValueError:
            born = None
        digits = re.sub(r"\D", "", v["mobile"])[-8:]
        number = v["national_id"]
        values = {
            "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "first_name": first,
            "last_name": last,
            "birth_date": born,
            "gender": genders.get(v["gender"].casefold(), "female" if v["gender"] else ""),
            "national_id_encrypted": identity.encrypt(number) if number else "",
            "national_id_hash": identity.national_id_hash(number) if number else None,
            "email": v["email"].lower(),
            "mobile": f"+47{digits}" if len(digits) == 8 else "",
            "address_line": v["address"],
            "co_line": "",
            "postal_code": v["postal_code"],
            "city": v["city"],
            "country": "NO",
            "first_name_key": identity.name_key(first),
            "last_name_key": identity.name_key(last),
            "created_at": now,
            "updated_at": now,
        }
        out.append(tuple(values[c] for c in columns if c in values or c not in nullable))
    return [c for c in columns if c in values or c not in nullable], out


def copy_baseline(columns: list[str], rows: list[tuple]) -> float:
    """Seconds for a raw COPY of ``rows`` into a scratch copy of members_person (its
    columns and defaults), committed."""
    from django.db import connection, transaction

    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_person_copy "
            "(LIKE members_person INCLUDING DEFAULTS INCLUDING IDENTITY) ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY bench_person_copy ({names}) FROM STDIN") as copy:  # noqa: S608
            for row in rows:
                copy.write_row(row)
        cursor.execute("SELECT count(*) FROM bench_person_copy")
        copied = cursor.fetchone()[0]
    seconds = time.perf_counter() - started
    if copied != len(rows):
        raise RuntimeError(f"COPY wrote {copied} rows, not {len(rows)}")
    return seconds


# --- Main ------------------------------------------------------------------------------------


def print_profile(path: str, limit: int) -> None:
    stats = pstats.Stats(path)
    for key in ("tottime", "cumulative"):
        print(f"\nProfile of the import, top {limit} by {key}:")
        stats.sort_stats(key).print_stats(limit)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows of members.csv")
    parser.add_argument("--registry", type=int, default=100_000, help="persons in the registry")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--profile", action="store_true", help="cProfile the import, print top")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--child-import", help=argparse.SUPPRESS)
    parser.add_argument("--club", help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_import:
        child_import(args.child_import, args.club, args.profile_file)
        return 0

    started = time.monotonic()
    recreate_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django_scopes import scopes_disabled

    from members.models import Club

    call_command("migrate", interactive=False, verbosity=0)
    print(f"Database {connection.settings_dict['NAME']} recreated and migrated")

    gen = Generator(args.seed)
    t = time.monotonic()
    registry = load_registry(gen, args.registry)
    print(f"Registry: {len(registry):,} persons loaded with COPY in {time.monotonic() - t:.1f} s")

    groups = [f"{a} {lvl}" for a in ACTIVITIES for lvl in LEVELS]
    t = time.monotonic()
    rows = build_extract(gen, registry, args.rows, groups)
    folder = Path(tempfile.mkdtemp(prefix="ims-bench-import-"))
    sizes = write_files(folder, rows, groups)
    kinds = {k: sum(1 for r in rows if r.kind == k) for k in EXPECTED}
    print(
        f"Extract: {len(rows):,} member rows, {len(groups)} groups in {folder} "
        f"({sizes['members.csv'] / 1e6:.1f} MB, Windows-1252, ';', CRLF) "
        f"in {time.monotonic() - t:.1f} s"
    )
    print("  mix: " + ", ".join(f"{k} {n:,}" for k, n in kinds.items()))
    with scopes_disabled():
        Club.objects.create(slug=CLUB_SLUG, name="Importklubben IL")
    connection.close()  # the child imports alone

    profile = str(folder / "import.prof") if args.profile else None
    try:
        result = run_child(folder, folder / "media", profile)
        columns, baseline_rows = person_rows(rows)
        copy_seconds = copy_baseline(columns, baseline_rows)
        report(args, result, copy_seconds, len(baseline_rows), kinds, len(groups), started)
        if profile:
            print_profile(profile, 30)
    finally:
        if args.keep:
            print(f"Files kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    seconds, peak_mb = result["seconds"], rss_mb(result["maxrss_kb"])
    ok = seconds <= GOAL_SECONDS and peak_mb <= GOAL_RSS_MB
    return 1 if args.check and not ok else 0


def wal_position() -> int:
    """The server's current write-ahead log position, in bytes: what the import wrote to
    the log is the difference (other databases' writes count too; the bench runs alone)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'")
        return int(cursor.fetchone()[0])


def report(args, result, copy_seconds, copied, kinds, group_count, started) -> None:
    from django_scopes import scopes_disabled

    from members.models import Club, Membership, Person
    from migration.models import ImportRow

    with scopes_disabled():
        club = Club.objects.get(slug=CLUB_SLUG)
        persons = Person.objects.count()
        memberships = Membership.objects.filter(club=club).count()
        import_rows = ImportRow.objects.filter(club=club).count()
    load = os.getloadavg()
    seconds = result["seconds"]
    peak_mb = rss_mb(result["maxrss_kb"])
    time_ok, rss_ok = seconds <= GOAL_SECONDS, peak_mb <= GOAL_RSS_MB

    print()
    print(
        f"Import of {result['rows']:,} member rows + {group_count} groups into club "
        f"{CLUB_SLUG!r}, registry of {args.registry:,} persons (import_now, child process)"
    )
    phases = [
        ("read the files, keep the originals, count the rows", result["before_chunks"]),
        ("groups, then the member rows in chunks", result["chunks"]),
        ("the rest of run_batch (waitlist, totals)", result["after_chunks"]),
        ("commit", result["commit"]),
    ]
    print(f"  wall time          {seconds:8.2f} s   ({result['rows'] / seconds:,.0f} rows/s)")
    for label, value in phases:
        print(f"    {label:<52}{value:6.2f} s")
    print(
        f"  and with --report FILE, the member rows read back for the report: "
        f"{result['rows_back_again']:.2f} s ({result['rows_again']:,} rows)"
    )
    chunks_done = result["rss_chunks_done_kb"]
    print(
        f"  peak RSS           {peak_mb:8.0f} MB  (after Django start-up "
        f"{rss_mb(result['rss_before_kb']):.0f} MB; when the last chunk was done "
        f"{rss_mb(chunks_done) if chunks_done else float('nan'):.0f} MB)"
    )
    backend = result["backend_cpu"]
    print(
        f"  CPU                {result['cpu']:8.2f} s in the import's process (its threads), "
        + (f"{backend:.2f} s in its PostgreSQL backend" if backend is not None else "")
    )
    print(f"  write-ahead log    {result['wal_bytes'] / 1e6:8.0f} MB written by the server")
    print("  outcomes:", ", ".join(f"{k} {n:,}" for k, n in result["totals"].items()))
    print(
        "  by construction:",
        ", ".join(f"{EXPECTED[k]} {n:,}" for k, n in kinds.items()),
    )
    other = {s: c for s, c in (result["sheets"] or {}).items() if s != "members"}
    if other:
        print("  other sheets:", "; ".join(f"{s}: {c}" for s, c in other.items()))
    print(
        f"  database after: {persons:,} persons, {memberships:,} memberships of the club, "
        f"{import_rows:,} import rows"
    )
    print(
        f"Baseline: raw COPY of the same {copied:,} persons into a scratch "
        f"members_person: {copy_seconds:.2f} s ({copied / copy_seconds:,.0f} rows/s)"
    )
    print(f"Ratio import / COPY: {seconds / copy_seconds:.1f}")
    print(f"Load average: {' '.join(f'{x:.2f}' for x in load)}")
    scale = "" if args.rows == 100_000 else " (the goal is set for 100,000 rows)"
    print(f"Goal ≤ {GOAL_SECONDS:.0f} s: {'met' if time_ok else 'NOT met'}{scale}")
    print(f"Goal peak RSS ≤ {GOAL_RSS_MB:.0f} MB: {'met' if rss_ok else 'NOT met'}")
    print(f"Bench total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
