"""OCR Giro import, continued (R-BIL-7, issue 8 point 3): AvtaleGiro debits matched
through their claims, AvtaleGiro agreement records, placing an unmatched payment on an
invoice (``assign_payment``), and the operator's ``import_ocr`` command."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_scopes import scopes_disabled

from billing import avtalegiro, ocr, refunds, services
from billing.kid import make_kid
from billing.models import AvtaleGiroMandate, Claim, ClaimFile, Invoice, Payment
from members.services import create_person, get_or_create_user
from tests.concurrency import run_at_once

from .conftest import make_club
from .ocr_files import Tx, ocr_file
from .pages import fresh
from .test_ocr import bill, payments

pytestmark = pytest.mark.django_db

NEW = ocr.REGISTRATION.NEW_OR_UPDATED_AGREEMENT
DELETED = ocr.REGISTRATION.DELETED_AGREEMENT
DEBIT = ocr.netsgiro.TransactionType.FROM_AVTALEGIRO


@pytest.fixture
def invoices(club):
    return bill(club, names=("Agnes", "Brede", "Cato"))


def claim(invoice, *, due=None) -> Claim:
    """The invoice claimed by AvtaleGiro from its recipient's mandate."""
    with scopes_disabled():
        mandate, _ = avtalegiro.register_mandate(
            invoice.club, invoice.recipient, source=AvtaleGiroMandate.Source.ADMIN
        )
        claim_file = ClaimFile.objects.create(
            club=invoice.club,
            run_date=invoice.issue_date,
            transmission_number=str(ClaimFile.objects.count() + 1).zfill(7),
        )
        return Claim.objects.create(
            club=invoice.club,
            invoice=invoice,
            mandate=mandate,
            claim_file=claim_file,
            kid=mandate.kid,
            amount=invoice.total,
            due_date=due or invoice.due_date,
        )


# --- AvtaleGiro debits ---------------------------------------------------------------


def test_avtalegiro_debits_are_matched_through_their_claims(club, invoices):
    on_time, after_weekend, no_claim = invoices
    first = claim(on_time)
    second = claim(after_weekend)
    data = ocr_file(
        [
            Tx(first.kid, "600.00", type=DEBIT, on=first.due_date),
            Tx(second.kid, "600.00", type=DEBIT, on=second.due_date + timedelta(days=2)),
            Tx(second.kid, "450.00", type=DEBIT, on=second.due_date),  # no claim of 450
        ]
    )
    payment_file = ocr.import_ocr(club, data, "ocr.txt")
    assert (payment_file.matched, payment_file.unmatched) == (2, 1)
    assert fresh(on_time).status == fresh(after_weekend).status == "paid"
    assert fresh(no_claim).status == "issued"
    assert {p.method for p in payments(club)} == {"avtalegiro"}
    assert [p.kid for p in payments(club, invoice__isnull=True)] == [second.kid]


def test_monthly_debits_of_the_same_amount_find_their_own_month(club):
    (january,) = bill(club, names=("Agnes",))
    jan = claim(january)
    # a second invoice to the same payer, claimed a month later with the same KID
    with scopes_disabled():
        second = Invoice.objects.get(pk=january.pk)
        second.pk = None
        second.number, second.kid = 99, make_kid(99, 9)
        second.due_date = january.due_date + timedelta(days=31)
        second.save()
        feb = Claim.objects.create(
            club=club,
            invoice=second,
            mandate=jan.mandate,
            claim_file=jan.claim_file,
            kid=jan.kid,
            amount=jan.amount,
            due_date=second.due_date,
        )
    data = ocr_file([Tx(feb.kid, "600.00", type=DEBIT, on=feb.due_date + timedelta(days=1))])
    ocr.import_ocr(club, data, "ocr.txt")
    assert fresh(second).status == "paid" and fresh(january).status == "issued"


# --- AvtaleGiro agreements -----------------------------------------------------------


def mandate_of(club, person):
    with scopes_disabled():
        return AvtaleGiroMandate.objects.filter(club=club, payer=person).order_by("pk").last()


def test_agreement_records_register_change_and_cancel_mandates(club, invoices):
    agnes, brede = invoices[0].recipient, invoices[1].recipient
    stranger = create_person(first_name="Ukjent", last_name="Person")
    agnes_kid, brede_kid = avtalegiro.mandate_kid(club, agnes), avtalegiro.mandate_kid(club, brede)
    stranger_kid = avtalegiro.mandate_kid(club, stranger)
    data = ocr_file(
        [], agreements=[(agnes_kid, NEW, False), (brede_kid, NEW, True), (stranger_kid, NEW, True)]
    )
    payment_file = ocr.import_ocr(club, data, "avtaler.txt")
    assert payment_file.transactions == 0
    changes = payment_file.mandates
    assert (changes.registered, changes.updated, changes.cancelled) == (2, 0, 0)
    assert changes.unknown == [stranger_kid]  # not a member, no invoices: not this club's
    mandate = mandate_of(club, agnes)
    assert (mandate.kid, mandate.status, mandate.source) == (agnes_kid, "active", "nets")
    assert mandate.notify_by_bank is False
    assert "2 registered" in ocr.mandate_summary(changes)

    later = ocr_file(
        [],
        number="1000002",
        agreements=[(agnes_kid, NEW, True), (brede_kid, DELETED, False), ("900000009", 2, False)],
    )
    changes = ocr.import_ocr(club, later, "avtaler-2.txt").mandates
    assert (changes.registered, changes.updated, changes.cancelled) == (0, 1, 1)
    assert changes.unknown == ["900000009"]
    assert mandate_of(club, agnes).notify_by_bank is True
    cancelled = mandate_of(club, brede)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None


def test_agreements_and_payments_in_one_file(club, invoices):
    agnes = invoices[0].recipient
    data = ocr_file(
        [Tx(invoices[0].kid, "600.00")],
        agreements=[(avtalegiro.mandate_kid(club, agnes), NEW, True)],
    )
    payment_file = ocr.import_ocr(club, data, "ocr.txt")
    assert payment_file.matched == 1 and payment_file.mandates.registered == 1


# --- placing an unmatched payment ----------------------------------------------------


@pytest.fixture
def unmatched(club, invoices):
    ocr.import_ocr(club, ocr_file([Tx(make_kid(999, 9), "600.00")]), "ocr.txt")
    (payment,) = payments(club, invoice__isnull=True)
    return payment


def test_an_unmatched_payment_is_placed_on_an_invoice(club, invoices, unmatched):
    user = get_or_create_user("kasserer@example.no", "pw-123456789")
    placed = ocr.assign_payment(unmatched, invoices[0], by=user)
    assert placed.invoice_id == invoices[0].pk
    assert placed.assigned_by == user and placed.assigned_at is not None
    assert fresh(invoices[0]).status == "paid"
    assert not payments(club, invoice__isnull=True)


def test_a_partial_unmatched_payment_leaves_the_rest_open(club, invoices):
    ocr.import_ocr(club, ocr_file([Tx(make_kid(999, 9), "200.00")]), "ocr.txt")
    (payment,) = payments(club, invoice__isnull=True)
    ocr.assign_payment(payment, invoices[1])
    assert fresh(invoices[1]).status == "issued"
    assert services.open_amount(fresh(invoices[1])) == Decimal("400.00")


def test_a_placed_payment_is_not_placed_again(club, invoices, unmatched):
    ocr.assign_payment(unmatched, invoices[0])
    with pytest.raises(ocr.OcrError, match=f"invoice {invoices[0].number} already"):
        ocr.assign_payment(unmatched, invoices[1])
    assert fresh(invoices[1]).status == "issued"


def test_a_payment_is_never_placed_on_another_clubs_invoice(club, unmatched):
    other = make_club("andre-il")
    (foreign,) = bill(other, names=("Gro",))
    with pytest.raises(ocr.OcrError, match="another club"):
        ocr.assign_payment(unmatched, foreign)
    assert fresh(foreign).status == "issued" and fresh(unmatched).invoice_id is None


def test_a_refund_is_not_placed(club, invoices):
    services.record_payment(
        invoices[0], club=club, amount=Decimal("600"), method="manual", paid_on=invoices[0].due_date
    )
    refund, _note = refunds.refund_invoice(
        fresh(invoices[0]), amount=Decimal("600"), paid_on=invoices[0].due_date
    )
    with scopes_disabled():
        Payment.objects.filter(pk=refund.pk).update(invoice=None)
    with pytest.raises(ocr.OcrError, match="Only a received payment"):
        ocr.assign_payment(fresh(refund), invoices[1])


# --- the command ---------------------------------------------------------------------


def test_import_ocr_command_prints_the_counts(club, invoices, tmp_path, capsys):
    path = tmp_path / "OCR.D020226.txt"
    path.write_bytes(ocr_file([Tx(invoices[0].kid, "600.00"), Tx(make_kid(999, 9), "50.00")]))
    call_command("import_ocr", "--club", club.slug, str(path))
    out = capsys.readouterr().out
    assert (
        "faktura-il: OCR.D020226.txt: 2 transaction(s), 1 matched, 1 unmatched, "
        "0 duplicate(s), total 650.00 NOK"
    ) in out
    with pytest.raises(CommandError, match="already imported"):
        call_command("import_ocr", "--club", club.slug, str(path))
    assert len(payments(club)) == 2


def test_import_ocr_command_refuses_bad_input(club, invoices, tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"not an OCR file\n")
    with pytest.raises(CommandError, match="Line 1"):
        call_command("import_ocr", "--club", club.slug, str(broken))
    with pytest.raises(CommandError, match="No club"):
        call_command("import_ocr", "--club", "nope", str(broken))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_ocr", "--club", club.slug, str(tmp_path / "missing.txt"))
    assert not payments(club)


# --- at once -------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_same_file_and_an_overlapping_one_imported_at_once():
    """Two uploads at once (a double click, two admins): the same file is imported once;
    an overlapping file at the same time records the shared transaction once."""
    club = make_club("samtidig-ocr")
    invoices = bill(club, names=("Agnes", "Brede"))
    data = ocr_file([Tx(invoices[0].kid, "600.00"), Tx(invoices[1].kid, "300.00")])
    results = run_at_once(
        lambda: ocr.import_ocr(club, data, "a.txt"), lambda: ocr.import_ocr(club, data, "b.txt")
    )
    assert sorted(type(r).__name__ for r in results) == ["AlreadyImported", "PaymentFile"]
    shared = Tx(invoices[1].kid, "300.00", number=2)
    overlap = ocr_file([shared], number="1000002")
    other = ocr_file([shared, Tx(invoices[1].kid, "1.00", number=9)], number="1000002")
    results = run_at_once(
        lambda: ocr.import_ocr(club, overlap, "c.txt"), lambda: ocr.import_ocr(club, other, "d.txt")
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.duplicates for r in results) == 1
    amounts = [p.amount for p in payments(club, invoice=invoices[1])]
    assert sorted(amounts) == [Decimal("1.00"), Decimal("300.00"), Decimal("300.00")]
    assert fresh(invoices[1]).status == "paid"


def test_debits_for_a_claim_file_written_by_the_project_pay_their_invoices(club):
    """Round trip: the claim file ``write_claims`` wrote, debited by the payers' banks and
    reported back by Nets in an OCR file (one type-15 transaction per claim)."""
    from .test_avtalegiro import ON, avtalegiro_invoices, nets_ready, parsed

    nets_ready(club)
    _members, invoices = avtalegiro_invoices(club)
    (claims,) = parsed(avtalegiro.write_claims(club, ON)).assignments
    debits = [Tx(c.kid, c.amount, type=DEBIT, on=c.date) for c in claims.transactions]
    payment_file = ocr.import_ocr(club, ocr_file(debits), "OCR.txt")
    assert (payment_file.matched, payment_file.unmatched) == (2, 0)
    assert [fresh(i).status for i in invoices] == ["paid", "paid"]
    assert {p.method for p in payments(club)} == {"avtalegiro"}
