"""OCR Giro import (R-BIL-7, DOMAIN.md §5, issue 8 point 3): an OCR file built with
netsgiro is read, each payment matched by KID and recorded once; partial and over-
payments as such; unknown KIDs and other clubs' KIDs on the unmatched list; the same
file twice, an overlapping file and a broken file record nothing twice or at all."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from billing import ocr, refunds, services
from billing.kid import make_kid
from billing.models import Invoice, Payment, PaymentFile

from .conftest import RUN_DATE, make_club, make_fee, make_member
from .ocr_files import NETS_DATE, Tx, ocr_file

pytestmark = pytest.mark.django_db

NAMES = ("Agnes", "Brede", "Cato", "Dina", "Eirik", "Frida")


def bill(club, names=NAMES, price="600.00") -> list[Invoice]:
    fee = make_fee(club, price=price)
    for name in names:
        make_member(club, name, fee=fee)
    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        return list(Invoice.objects.filter(club=club).order_by("number"))


@pytest.fixture
def invoices(club):
    return bill(club)


@pytest.fixture
def other_invoice():
    """An invoice of another club, whose KIDs are 10 digits long."""
    other = make_club("andre-il")
    other.kid_length = 10
    other.save()
    (invoice,) = bill(other, names=("Gro",))
    return invoice


def fresh(invoice) -> Invoice:
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def payments(club, **filters) -> list[Payment]:
    with scopes_disabled():
        return list(Payment.objects.filter(club=club, **filters).order_by("pk"))


def test_acceptance_an_ocr_file_for_a_set_of_invoices(club, invoices, other_invoice):
    """Paid in full, partly, twice in parts, overpaid, untouched, partly credited and
    paid; an unknown KID and another club's KID go to the unmatched list."""
    full, part, two_parts, over, untouched, credited = invoices
    services.credit_invoice(credited, amount=Decimal("100.00"))
    unknown_kid = make_kid(999, 9)
    data = ocr_file(
        [
            Tx(full.kid, "600.00"),
            Tx(part.kid, "250.00"),
            Tx(two_parts.kid, "100.00"),
            Tx(over.kid, "700.00"),
            Tx(credited.kid, "500.00"),
            Tx(unknown_kid, "123.45", payer_account="11112233334"),
            Tx(other_invoice.kid, "600.00"),
            Tx(two_parts.kid, "500.00"),
        ]
    )

    payment_file = ocr.import_ocr(club, data, "OCR.D020226.txt")

    assert (payment_file.transactions, payment_file.matched, payment_file.unmatched) == (8, 6, 2)
    assert payment_file.duplicates == 0
    assert payment_file.total == Decimal("3373.45")
    assert payment_file.sha256 == ocr.checksum(data)
    assert payment_file.file.read() == data
    status = {inv.number: fresh(inv).status for inv in invoices}
    assert status == {
        full.number: "paid",
        part.number: "issued",
        two_parts.number: "paid",
        over.number: "paid",
        untouched.number: "issued",
        credited.number: "paid",
    }
    assert services.open_amount(fresh(part)) == Decimal("350.00")
    assert services.open_amount(fresh(over)) == Decimal("-100.00")  # overpaid
    assert services.open_amount(fresh(credited)) == Decimal("0.00")
    unmatched = payments(club, invoice__isnull=True)
    assert [(p.kid, p.amount, p.payer_account) for p in unmatched] == [
        (unknown_kid, Decimal("123.45"), "11112233334"),
        (other_invoice.kid, Decimal("600.00"), "98765432106"),
    ]
    assert fresh(other_invoice).status == "issued"  # the other club's invoice is not touched
    recorded = payments(club)
    assert {p.method for p in recorded} == {"ocr"} and {p.provider for p in recorded} == {"ocr"}
    assert {p.paid_on for p in recorded} == {NETS_DATE}
    assert {p.payment_file_id for p in recorded} == {payment_file.pk}
    assert recorded[0].reference == "1000001:4000001:1"
    assert not payments(other_invoice.club)


def test_the_same_file_twice_records_nothing_twice(club, invoices):
    data = ocr_file([Tx(invoices[0].kid, "600.00"), Tx(make_kid(999, 9), "10.00")])
    first = ocr.import_ocr(club, data, "ocr.txt")
    with pytest.raises(ocr.AlreadyImported, match="already imported on") as refused:
        ocr.import_ocr(club, data, "ocr-copy.txt")
    assert refused.value.payment_file == first
    assert len(payments(club)) == 2
    with scopes_disabled():
        assert PaymentFile.objects.filter(club=club).count() == 1


def test_another_club_may_import_the_same_file(club, invoices, other_invoice):
    """The checksum is unique per club: the file is refused only where it was imported."""
    data = ocr_file([Tx(other_invoice.kid, "600.00")])
    ocr.import_ocr(club, data, "ocr.txt")
    ocr.import_ocr(other_invoice.club, data, "ocr.txt")
    assert fresh(other_invoice).status == "paid"


def test_an_overlapping_file_records_a_repeated_transaction_once(club, invoices):
    first, second, third = invoices[:3]
    ocr.import_ocr(club, ocr_file([Tx(first.kid, "600.00"), Tx(second.kid, "200.00")]), "a.txt")
    again = ocr_file(
        [Tx(second.kid, "200.00", number=2), Tx(third.kid, "600.00", number=3)],
    )
    payment_file = ocr.import_ocr(club, again, "b.txt")
    assert (payment_file.transactions, payment_file.duplicates, payment_file.matched) == (2, 1, 1)
    assert payment_file.total == Decimal("800.00")  # what the file says
    assert [p.amount for p in payments(club, invoice=second)] == [Decimal("200.00")]
    assert fresh(second).status == "issued" and fresh(third).status == "paid"


def test_the_same_transaction_number_in_another_assignment_is_another_payment(club, invoices):
    """Nets numbers transactions per assignment."""
    first, second = invoices[:2]
    ocr.import_ocr(club, ocr_file([Tx(first.kid, "600.00")]), "a.txt")
    ocr.import_ocr(club, ocr_file([Tx(second.kid, "600.00")], assignment="4000009"), "b.txt")
    assert fresh(first).status == fresh(second).status == "paid"


@pytest.mark.parametrize(
    "mangle,message",
    [
        (lambda d: d.replace(d.splitlines()[3], d.splitlines()[3][:-1]), "Line 4 .* 79 characters"),
        (lambda d: d.replace(b"NY091030", b"NY091055", 1), "Line 3 .* record type 55"),
        (lambda d: d.replace(b"NY09103000000020", b"NY09103000000X20", 1), "Line 5 .* format"),
        (lambda d: b"\n".join(d.splitlines()[:-1]), "order of an OCR file"),
        (lambda d: b"Navn;KID;Belop\nAgnes;000000018;600\n", "Line 1 .* 80"),
        (lambda d: b"   \n", "empty"),
    ],
    ids=["short-line", "record-type", "field", "no-end", "csv", "empty"],
)
def test_a_broken_file_records_nothing_and_says_why(club, invoices, mangle, message):
    data = mangle(ocr_file([Tx(invoices[0].kid, "600.00"), Tx(invoices[1].kid, "600.00")]))
    with pytest.raises(ocr.OcrError, match=message):
        ocr.import_ocr(club, data, "broken.txt")
    assert not payments(club)
    with scopes_disabled():
        assert not PaymentFile.objects.filter(club=club).exists()
    assert fresh(invoices[0]).status == "issued"


def test_a_failure_half_way_rolls_the_whole_file_back(club, invoices, monkeypatch):
    calls = []
    record = services.record_payment

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return record(*args, **kwargs)

    monkeypatch.setattr(services, "record_payment", failing)
    data = ocr_file([Tx(invoices[0].kid, "600.00"), Tx(invoices[1].kid, "600.00")])
    with pytest.raises(RuntimeError):
        ocr.import_ocr(club, data, "ocr.txt")
    assert not payments(club) and fresh(invoices[0]).status == "issued"
    monkeypatch.setattr(services, "record_payment", record)
    assert ocr.import_ocr(club, data, "ocr.txt").matched == 2  # and it can be tried again


def test_an_avtalegiro_claim_file_is_not_an_ocr_file(club, invoices):
    import netsgiro

    transmission = netsgiro.Transmission(
        number="0000001", data_transmitter="00012345", data_recipient=netsgiro.NETS_ID
    )
    assignment = transmission.add_assignment(
        service_code=netsgiro.ServiceCode.AVTALEGIRO,
        assignment_type=netsgiro.AssignmentType.TRANSACTIONS,
        number="0000001",
        account="12345678903",
    )
    assignment.add_payment_request(
        kid=invoices[0].kid,
        due_date=RUN_DATE + timedelta(days=30),
        amount=Decimal("600"),
        validate_due_date=False,
    )
    with pytest.raises(ocr.OcrError, match="claim file"):
        ocr.import_ocr(club, transmission.to_ocr().encode(), "claims.txt")


def test_a_file_for_another_account_is_refused(club, invoices):
    data = ocr_file([Tx(invoices[0].kid, "600.00")], account="15038849020")
    with pytest.raises(ocr.OcrError, match="1503.88.49020.*another club"):
        ocr.import_ocr(club, data, "ocr.txt")
    assert not payments(club)


def test_a_reversed_payment_reopens_the_invoice(club, invoices):
    paid = invoices[0]
    ocr.import_ocr(club, ocr_file([Tx(paid.kid, "600.00")]), "a.txt")
    assert fresh(paid).status == "paid"
    reversal = Tx(paid.kid, "600.00", type=ocr.netsgiro.TransactionType.REVERSING_WITH_KID)
    reversal.reversed = True
    payment_file = ocr.import_ocr(club, ocr_file([reversal], number="1000002"), "b.txt")
    assert payment_file.total == Decimal("-600.00")
    assert fresh(paid).status == "issued"
    assert services.open_amount(fresh(paid)) == Decimal("600.00")


def test_a_refunded_invoice_is_not_reopened_by_a_later_payment(club, invoices):
    """settle_status: a refunded (and so credited) invoice is not reopened by money
    arriving later."""
    paid = invoices[0]
    ocr.import_ocr(club, ocr_file([Tx(paid.kid, "600.00")]), "a.txt")
    refunds.refund_invoice(fresh(paid), amount=Decimal("600.00"), paid_on=NETS_DATE)
    ocr.import_ocr(club, ocr_file([Tx(paid.kid, "50.00")], number="1000002"), "b.txt")
    assert fresh(paid).status == "credited"


def test_a_payment_on_a_credited_invoice_keeps_it_credited(club, invoices):
    credited = invoices[0]
    services.credit_invoice(credited)
    ocr.import_ocr(club, ocr_file([Tx(credited.kid, "600.00")]), "a.txt")
    assert fresh(credited).status == "credited"
    assert services.open_amount(fresh(credited)) == Decimal("-600.00")
    assert payments(club)[0].invoice_id == credited.pk


def test_an_overpaid_invoice_shows_a_negative_open_amount_on_the_invoice_pages(club, invoices):
    from billing import queries

    over, credited = invoices[:2]
    services.credit_invoice(credited)
    ocr.import_ocr(club, ocr_file([Tx(over.kid, "650.00"), Tx(credited.kid, "20.00")]), "a.txt")
    with scopes_disabled():
        rows = queries.with_amounts(Invoice.objects.filter(pk__in=[over.pk, credited.pk]))
        shown = {inv.pk: inv.open_amount for inv in rows}
    assert shown == {over.pk: Decimal("-50.00"), credited.pk: Decimal("-20.00")}
