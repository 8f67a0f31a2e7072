"""Shared helpers for the federation import tests: reading the sample files the way an
operator would look at them, running the command, and reading its report."""

import csv
import io
from pathlib import Path

from django.core.management import call_command

SAMPLES = Path("/work/shared/data/sample")
if not SAMPLES.exists():  # CI lays shared/ beside the checkout
    SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "sample"
CLUB_A = SAMPLES / "club-a"
CLUB_B = SAMPLES / "club-b"
OUTCOMES = {"new", "matched", "merged", "review", "rejected"}
REPORT_COLUMNS = ["row", "member_no", "outcome", "person_id", "reason"]

MEMBER_HEADER = (
    "Medlemsnr;Fornavn;Etternavn;Fødselsdato;Personnummer;Kjønn;E-post;Mobil;Adresse;"
    "Postnr;Poststed;Foresatt navn;Foresatt e-post;Foresatt mobil;Medlemskategori;Parti;"
    "Betalingsmåte;Neste fakturadato;Innmeldt"
)


def sample_rows(path: Path) -> list[dict]:
    """The data rows of a sample CSV as a spreadsheet would show them (blank lines out)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [r for r in rows if any((v or "").strip() for v in r.values())]


def run_import(folder, club: str, tmp_path: Path, name: str, *extra) -> tuple[str, list[dict]]:
    """``import_members --club CLUB FOLDER --report …``: the printed text and the report."""
    report = tmp_path / f"{name}.csv"
    out = io.StringIO()
    call_command(
        "import_members", str(folder), "--club", club, "--report", str(report), *extra, stdout=out
    )
    return out.getvalue(), read_report(report)


def read_report(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def report_header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def printed_totals(stdout: str) -> dict[str, int]:
    """``  new       94`` lines of the command's output → {"new": 94, …}."""
    totals = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in OUTCOMES and parts[1].isdigit():
            totals[parts[0]] = int(parts[1])
    return totals


def member_csv(rows: list[list[str]], header: str = MEMBER_HEADER, sep: str = ";") -> str:
    lines = [header.replace(";", sep)] + [sep.join(r) for r in rows]
    return "\n".join(lines) + "\n"
