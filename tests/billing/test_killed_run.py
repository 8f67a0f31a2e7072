"""R-BIL-4 acceptance: a worker killed (SIGKILL) half-way through an invoice run, inside
an open transaction, and the run started again: the same invoices as a run that was
never killed, numbers without gaps, nobody billed twice or skipped."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from billing import services
from billing.models import InvoiceRun

from .conftest import RUN_DATE, make_club, make_fee, make_member
from .test_runs import summary

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

ROOT = Path(__file__).resolve().parents[2]
PAYERS = 23
KILL_IN_BATCH = 3  # batches of 4: killed with 8 invoices committed, 4 more uncommitted

SCRIPT = """
import os, signal, sys
from datetime import date
import django
django.setup()
from django.utils import translation
from django_scopes import scopes_disabled
from billing import services
from members.models import Club

real = services._write_invoices
calls = []

def write_then_die(club, run, drafts):
    made = real(club, run, drafts)
    calls.append(1)
    if len(calls) == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)  # inside the batch's open transaction
    return made

services._write_invoices = write_then_die
with scopes_disabled():
    club = Club.objects.get(slug=sys.argv[1])
services.run_invoices(club, date(2026, 1, 15), batch_size=4)
"""


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_killed_run_restarted_gives_the_same_invoices():
    reference, killed = make_club("aldri-drept"), make_club("drept")
    for club in (reference, killed):
        fee = make_fee(club, price="349.50", period="half_year")
        parent = make_member(club, "Forelder").person
        for i in range(2):
            make_member(club, f"Barn{i}", guardian=parent, birth=date(2016, 2, 2), fee=fee)
        for i in range(PAYERS - 1):
            make_member(club, f"Medlem{i:02}", fee=fee)
    services.run_invoices(reference, RUN_DATE, batch_size=4)

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "ims.settings",
    }
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SCRIPT, killed.slug, str(KILL_IN_BATCH)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    with scopes_disabled():
        dead = InvoiceRun.objects.get(club=killed)
    assert (dead.status, dead.invoices, dead.total) == ("running", 8, PAYERS)
    assert [s[0] for s in summary(killed)] == list(range(1, 9))

    again = services.run_invoices(killed, RUN_DATE, batch_size=4)
    dead.refresh_from_db()
    assert dead.status == "failed" and "Interrupted" in dead.error  # its lock died with it
    assert again.invoices == PAYERS - 8
    assert [s[0] for s in summary(killed)] == list(range(1, PAYERS + 1))
    # the same invoices, numbers, KIDs, recipients, lines and amounts
    assert summary(killed) == summary(reference)
    assert services.run_invoices(killed, RUN_DATE).invoices == 0
