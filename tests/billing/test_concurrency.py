"""Two invoice runs at once, for real (PostgreSQL row locks, one thread and connection
each): gapless numbers, nobody billed twice, nobody skipped (R-BIL-4, R-BIL-5)."""

import threading
from datetime import date

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from billing import services
from billing.models import Agreement, Invoice, InvoiceLine, InvoiceRun
from tests.concurrency import run_at_once

from .conftest import make_club, make_fee, make_member

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)

RUN_DATE = date(2026, 1, 15)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("batch_size", "interleave"), [(1, False), (4, False), (2, True)])
def test_two_runs_at_once_give_gapless_numbers_and_no_duplicates(
    batch_size, interleave, monkeypatch
):
    """With ``interleave`` a run that has billed a batch waits (between its transactions)
    until the other run has billed one too (a batch the other run billed first is empty
    and does not wait), so both surely make invoices from the one
    counter, whichever thread the scheduler starts first."""
    if interleave:
        real = services.bill_batch
        billed_by: set[int] = set()
        both_billed = threading.Event()

        def bill_then_wait(run, payer_ids):
            made = real(run, payer_ids)
            if made:
                billed_by.add(run.pk)
                if len(billed_by) == 2:
                    both_billed.set()
                both_billed.wait(timeout=20)
            return made

        monkeypatch.setattr(services, "bill_batch", bill_then_wait)
    club = make_club("samtidig-faktura")
    fee = make_fee(club, price="125.00", period="month")
    parent = make_member(club, "Forelder").person
    for i in range(3):
        make_member(club, f"Barn{i}", birth=date(2016, 1, 1), guardian=parent, fee=fee)
    for i in range(30):
        make_member(club, f"Medlem{i}", fee=fee)

    results = run_at_once(
        lambda: services.run_invoices(club, RUN_DATE, batch_size=batch_size),
        lambda: services.run_invoices(club, RUN_DATE, batch_size=batch_size),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    if interleave:
        assert min(r.invoices for r in results) > 0, [r.invoices for r in results]
    assert sum(r.invoices for r in results) == 31
    with scopes_disabled():
        numbers = list(Invoice.objects.filter(club=club).values_list("number", flat=True))
        assert sorted(numbers) == list(range(1, 32))
        assert InvoiceLine.objects.filter(club=club).count() == 33
        assert InvoiceLine.objects.filter(club=club).values("agreement").distinct().count() == 33
        assert Invoice.objects.filter(club=club, recipient=parent).count() == 1
        assert set(
            Agreement.objects.filter(club=club).values_list("next_billing_date", flat=True)
        ) == {date(2026, 2, 15)}
        assert set(InvoiceRun.objects.filter(club=club).values_list("status", flat=True)) == {
            "finished"
        }
    assert services.run_invoices(club, RUN_DATE).invoices == 0
