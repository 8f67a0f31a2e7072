"""The payments pages (R-BIL-7, issue 8 point 7): OCR upload with its counts, errors in
plain words and double submits; the imported files; every payment with filters and
totals; the unmatched payments placed on an invoice after a confirmation; another
club's admin gets 404 everywhere and cannot place a payment on another club's invoice."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from billing import ocr, services
from billing.kid import make_kid
from billing.models import Payment, PaymentFile

from .conftest import make_club
from .ocr_files import Tx, ocr_file
from .pages import fresh, log_in_admin
from .test_ocr import bill, payments

pytestmark = pytest.mark.django_db

UNKNOWN_KID = make_kid(999, 9)


def url(name, club, *args, query=""):
    path = reverse(f"ocr:{name}", args=[club.slug, *args])
    return f"{path}?{query}" if query else path


@pytest.fixture
def admin(client, club):
    log_in_admin(client, club)
    return client


@pytest.fixture
def invoices(club):
    return bill(club, names=("Agnes", "Brede", "Cato"))


@pytest.fixture
def imported(club, invoices):
    """Agnes paid in full, Brede overpaid, Cato nothing; one unknown KID."""
    data = ocr_file(
        [
            Tx(invoices[0].kid, "600.00"),
            Tx(invoices[1].kid, "650.00"),
            Tx(UNKNOWN_KID, "600.00", payer_account="11112233334"),
        ]
    )
    return ocr.import_ocr(club, data, "OCR.D020226.txt")


def upload(client, club, data: bytes, name="OCR.D020226.txt"):
    return client.post(url("files", club), {"file": SimpleUploadedFile(name, data)})


# --- upload and files ----------------------------------------------------------------


def test_upload_shows_the_counts_and_lists_the_file(admin, club, invoices):
    data = ocr_file([Tx(invoices[0].kid, "600.00"), Tx(UNKNOWN_KID, "99.00")])
    response = upload(admin, club, data)
    with scopes_disabled():
        payment_file = PaymentFile.objects.get(club=club)
    assert response.status_code == 302
    assert response["Location"] == url("file", club, payment_file.pk)
    page = admin.get(response["Location"])
    text = page.content.decode()
    assert "2 transactions: 1 matched, 1 unmatched, 0 recorded before; total 699,00 kr." in text
    assert "OCR.D020226.txt" in text and invoices[0].recipient_name in text
    assert payment_file.imported_by.email == "kasserer@example.no"
    listing = admin.get(url("files", club)).content.decode()
    assert "OCR.D020226.txt" in listing and "699,00 kr" in listing
    assert "data-once" in listing  # the browser sends the form once


def test_the_same_upload_twice_records_nothing_twice(admin, club, invoices):
    """A double submit, or the same file next week: the first import is shown."""
    data = ocr_file([Tx(invoices[0].kid, "600.00")])
    first = upload(admin, club, data)
    second = upload(admin, club, data, name="again.txt")
    assert second.status_code == 302 and second["Location"] == first["Location"]
    page = admin.get(second["Location"]).content.decode()
    assert "already imported on" in page
    assert len(payments(club)) == 1


def test_a_broken_upload_says_why_and_records_nothing(admin, club, invoices):
    data = ocr_file([Tx(invoices[0].kid, "600.00")]).replace(b"NY091030", b"NY091031", 1)
    response = upload(admin, club, data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Line 3 is not a record of an OCR Giro file" in text
    assert not payments(club)
    response = admin.post(url("files", club), {})
    assert response.status_code == 400 and "This field is required" in response.content.decode()


def test_agreement_changes_are_told_after_the_upload(admin, club, invoices):
    from billing import avtalegiro

    kid = avtalegiro.mandate_kid(club, invoices[0].recipient)
    data = ocr_file([], agreements=[(kid, 1, True)])
    page = admin.get(upload(admin, club, data)["Location"]).content.decode()
    assert "AvtaleGiro agreements: 1 registered, 0 changed, 0 cancelled." in page


# --- payments list -------------------------------------------------------------------


def test_payments_list_with_filters_and_totals(admin, club, invoices, imported):
    services.record_payment(
        invoices[2], club=club, amount=Decimal("100"), method="manual", paid_on=invoices[2].due_date
    )

    def listed(query=""):
        response = admin.get(url("payments", club, query=query))
        assert response.status_code == 200
        return response

    everything = listed()
    assert everything.context["totals"]["count"] == 4
    assert everything.context["totals"]["total"] == Decimal("1950.00")
    assert everything.context["totals"]["unmatched"] == Decimal("600.00")
    text = everything.content.decode()
    assert "−50,00 kr" in text or "-50,00 kr" in text  # Brede's overpayment: negative open
    assert "Unmatched" in text

    def amounts(query):
        return sorted(p.amount for p in listed(query).context["page"].object_list)

    assert amounts("method=manual") == [Decimal("100.00")]
    assert amounts("state=unmatched") == [Decimal("600.00")]
    assert amounts("state=matched") == [Decimal("100.00"), Decimal("600.00"), Decimal("650.00")]
    assert amounts(f"paid_from={invoices[2].due_date:%d.%m.%Y}&method=manual") == [Decimal("100")]
    assert amounts("paid_to=01.01.2020") == []
    assert amounts("q=1111") == [Decimal("600.00")]  # the payer's account
    assert amounts("q=brede") == [Decimal("650.00")]
    assert amounts(f"q={invoices[1].number}") == [Decimal("650.00")]  # the invoice number
    assert amounts(f"file={imported.pk}") == [Decimal("600"), Decimal("600"), Decimal("650")]
    wrong = listed("paid_from=32.13.2026")
    assert list(wrong.context["page"].object_list) == []
    assert "Enter a valid date" in wrong.content.decode()


# --- unmatched and placing -----------------------------------------------------------


def unmatched_payment(club) -> Payment:
    (payment,) = payments(club, invoice__isnull=True)
    return payment


def test_unmatched_list_and_placing_with_confirmation(admin, club, invoices, imported):
    payment = unmatched_payment(club)
    listing = admin.get(url("unmatched", club)).content.decode()
    assert UNKNOWN_KID in listing and url("place", club, payment.pk) in listing

    page = admin.get(url("place", club, payment.pk))
    assert [inv.pk for inv in page.context["candidates"]] == [invoices[2].pk]  # same amount, open
    found = admin.get(url("place", club, payment.pk, query="q=cato")).context["candidates"]
    assert [inv.pk for inv in found] == [invoices[2].pk]
    by_kid = admin.get(url("place", club, payment.pk, query=f"q={invoices[2].kid}"))
    assert [inv.pk for inv in by_kid.context["candidates"]] == [invoices[2].pk]

    confirm = admin.get(url("place", club, payment.pk, query=f"invoice={invoices[2].pk}"))
    text = confirm.content.decode()
    assert f"Place it on invoice {invoices[2].number} to Cato Hansen?" in text
    form = confirm.context["form"]
    response = admin.post(url("place", club, payment.pk), {"invoice": form.initial["invoice"]})
    assert response.status_code == 302 and response["Location"] == url("unmatched", club)
    assert "is placed on invoice" in admin.get(response["Location"]).content.decode()
    assert fresh(invoices[2]).status == "paid"
    placed = fresh(payment)
    assert placed.invoice_id == invoices[2].pk and placed.assigned_by.email == "kasserer@example.no"

    again = admin.post(url("place", club, payment.pk), {"invoice": invoices[1].pk})  # resent
    assert "already" in admin.get(again["Location"]).content.decode()
    assert fresh(payment).invoice_id == invoices[2].pk
    placed_page = admin.get(url("place", club, payment.pk)).content.decode()
    assert "This payment is on invoice" in placed_page


def test_placing_that_overpays_warns_first(admin, club, invoices, imported):
    payment = unmatched_payment(club)
    text = admin.get(url("place", club, payment.pk, query=f"invoice={invoices[0].pk}")).content
    assert "will be overpaid" in text.decode()


# --- the wall ------------------------------------------------------------------------


@pytest.fixture
def other_admin(client, club):
    other = make_club("andre-il")
    log_in_admin(client, other, email="kasserer@andre.no")
    return other


def test_another_clubs_admin_sees_nothing(client, club, invoices, imported, other_admin):
    payment = unmatched_payment(club)
    """The club's pages answer 403 (members/permissions.py, like every club page); the
    club's objects under their own club's address are not found."""
    theirs = [
        url("payments", club),
        url("unmatched", club),
        url("files", club),
        url("file", club, imported.pk),
        url("place", club, payment.pk),
    ]
    for address in theirs:
        assert client.get(address).status_code in (403, 404), address
        assert client.post(address, {"invoice": invoices[0].pk}).status_code in (403, 404)
    for address in (url("file", other_admin, imported.pk), url("place", other_admin, payment.pk)):
        assert client.get(address).status_code == 404, address
        assert client.post(address, {"invoice": invoices[0].pk}).status_code == 404, address
    assert client.get(url("payments", other_admin)).context["totals"]["count"] == 0
    assert fresh(payment).invoice_id is None


def test_no_payment_is_placed_on_another_clubs_invoice(admin, club, invoices, imported):
    other = make_club("andre-il")
    (foreign,) = bill(other, names=("Gro",))
    payment = unmatched_payment(club)
    chosen = url("place", club, payment.pk, query=f"invoice={foreign.pk}")
    assert admin.get(chosen).status_code == 404
    response = admin.post(url("place", club, payment.pk), {"invoice": foreign.pk})
    assert response.status_code == 404
    assert fresh(payment).invoice_id is None and fresh(foreign).status == "issued"
    found = admin.get(url("place", club, payment.pk, query="q=gro")).context["candidates"]
    assert found == []


def test_list_pages_do_not_query_per_row(admin, club, invoices, imported):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(name, *args):
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(url(name, club, *args)).status_code == 200
        return len(captured)

    before = [queries("payments"), queries("file", imported.pk), queries("unmatched")]
    rows = [Tx(UNKNOWN_KID, "5.00", number=n) for n in range(1, 11)]
    more = ocr_file([*rows, Tx(invoices[2].kid, "5.00", number=11)], number="1000002")
    more_file = ocr.import_ocr(club, more, "more.txt")
    after = [queries("payments"), queries("file", more_file.pk), queries("unmatched")]
    assert after == before


def test_a_large_file_page_links_to_all_its_payments(admin, club, invoices, monkeypatch):
    from billing.views import ocr as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    data = ocr_file([Tx(UNKNOWN_KID, "5.00", number=n) for n in range(1, 4)])
    payment_file = ocr.import_ocr(club, data, "ocr.txt")
    page = admin.get(url("file", club, payment_file.pk))
    assert len(page.context["rows"]) == 2
    assert f"?file={payment_file.pk}" in page.content.decode()
