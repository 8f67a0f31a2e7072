"""The invoice pages (R-BIL-5, R-BIL-9, issue 6 point 10): the list with filters and
totals, one invoice with its lines, and the admin's actions — credit, payment, refund —
with their error paths and double submits; PDFs and the list for post."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled
from pypdf import PdfReader

from billing import pdf, services
from billing.models import CreditNote, Invoice, Payment

from .conftest import make_fee, make_member
from .pages import fresh, log_in_admin, make_invoices, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, club):
    log_in_admin(client, club)
    return client


@pytest.fixture
def invoices(club):
    return make_invoices(club)[2]


def state(invoice) -> str:
    return services.money_state(fresh(invoice))


# --- list ----------------------------------------------------------------------------


def test_list_shows_invoices_with_totals(admin, club, invoices):
    response = admin.get(url("invoices", club))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Agnes Hansen" in page and "Brede Hansen" in page
    assert response.context["totals"] == {
        "count": 2,
        "total": Decimal("1200.00"),
        "open": Decimal("1200.00"),
    }
    assert "1\xa0200,00 kr" in page  # the project's number format


def test_list_filters_by_search_status_and_overdue(admin, club, invoices):
    first, second = invoices

    def numbers(query):
        response = admin.get(url("invoices", club, query=query))
        assert response.status_code == 200
        return [inv.number for inv in response.context["page"].object_list]

    assert numbers(f"q={first.number}") == [first.number]
    assert numbers(f"q={second.kid}") == [second.number]
    assert numbers("q=brede") == [second.number]
    services.credit_invoice(first)
    assert numbers("status=credited") == [first.number]
    assert numbers("overdue=on") == []
    with scopes_disabled():
        Invoice.objects.filter(pk=second.pk).update(due_date=timezone.localdate() - timedelta(1))
    assert numbers("overdue=on") == [second.number]
    page = admin.get(url("invoices", club, query="overdue=on")).content.decode()
    assert "Overdue" in page


def test_a_wrong_filter_shows_its_error_and_no_rows(admin, club, invoices):
    response = admin.get(url("invoices", club, query="due_from=32.13.2026"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert "Enter a valid date" in response.content.decode()


# --- detail --------------------------------------------------------------------------


def test_detail_shows_lines_rule_text_and_open_amount(admin, club):
    fee = make_fee(
        club,
        price="1000.00",
        name="Trening",
        rules=[{"kind": "age_band", "max_age": 12, "amount": Decimal("400")}],
    )
    today = timezone.localdate()
    make_member(
        club, "Lille", birth=today.replace(year=today.year - 8), fee=fee, next_billing_date=today
    )
    services.run_invoices(club, today)
    with scopes_disabled():
        invoice = Invoice.objects.get(club=club)
    page = admin.get(url("invoice", club, invoice.pk)).content.decode()
    assert "Trening – Lille Hansen" in page
    assert "age up to 12: 400" in page
    assert invoice.kid in page
    assert "400,00 kr" in page
    assert 'id="credit-form"' in page and 'id="payment-form"' in page
    assert 'id="refund-form"' not in page  # nothing paid yet


# --- credit --------------------------------------------------------------------------


def test_credit_in_part_then_in_full(admin, club, invoices):
    invoice = invoices[0]
    response = admin.post(
        url("credit", club, invoice.pk),
        {"amount": "100,50", "reason": "Feil sats", "seen": state(invoice)},
    )
    assert response.status_code == 302
    assert fresh(invoice).status == "partly_credited"
    admin.post(url("credit", club, invoice.pk), {"reason": "Meldt ut", "seen": state(invoice)})
    with scopes_disabled():
        notes = CreditNote.objects.filter(club=club).order_by("number")
        amounts = list(notes.values_list("amount", flat=True))
    assert amounts == [Decimal("100.50"), Decimal("499.50")]
    assert fresh(invoice).status == "credited"


@pytest.mark.parametrize(
    "amount,message",
    [
        ("abc", "Write an amount in kroner"),
        ("10,555", "at most two decimals"),
        ("0", "cannot be below"),
        ("-5", "cannot be below"),
        ("600,01", "At most 600,00 can be credited"),
    ],
)
def test_credit_refuses_bad_amounts_and_keeps_the_input(admin, club, invoices, amount, message):
    invoice = invoices[0]
    response = admin.post(
        url("credit", club, invoice.pk),
        {"amount": amount, "reason": "Test", "seen": state(invoice)},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert f'value="{amount}"' in page  # the input is kept
    with scopes_disabled():
        assert not CreditNote.objects.filter(club=club).exists()


def test_credit_needs_a_reason(admin, club, invoices):
    response = admin.post(url("credit", club, invoices[0].pk), {"seen": state(invoices[0])})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_paid_invoice_is_not_credited_and_the_page_says_why(admin, club, invoices):
    invoice = invoices[0]
    services.record_payment(
        invoice, club=club, amount=Decimal("600"), method="card", paid_on=timezone.localdate()
    )
    page = admin.get(url("invoice", club, invoice.pk)).content.decode()
    assert 'id="credit-form"' not in page
    assert "A paid invoice is not credited: register a refund instead." in page
    response = admin.post(
        url("credit", club, invoice.pk), {"reason": "Feil", "seen": state(invoice)}
    )
    assert response.status_code == 400
    assert "register a refund instead" in response.content.decode()
    with scopes_disabled():
        assert not CreditNote.objects.filter(club=club).exists()


def test_a_double_submitted_credit_makes_one_credit_note(admin, club, invoices):
    invoice = invoices[0]
    form = {"amount": "100", "reason": "Dobbeltklikk", "seen": state(invoice)}
    first = admin.post(url("credit", club, invoice.pk), form)
    second = admin.post(url("credit", club, invoice.pk), form, follow=True)
    assert first.status_code == 302
    assert "The invoice changed after you opened it" in second.content.decode()
    with scopes_disabled():
        assert CreditNote.objects.filter(club=club).count() == 1


def test_credit_from_the_page_queues_the_credit_note_pdf_once(
    admin, club, invoices, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(pdf.issue_credit_note, "delay", lambda *args: queued.append(args))
    invoice = invoices[0]
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            url("credit", club, invoice.pk),
            {"reason": "Meldt ut", "seen": state(invoice)},
        )
    with scopes_disabled():
        note = CreditNote.objects.get(club=club)
    assert queued == [(note.pk, False)]  # sent only if the invoice was (billing.pdf)


# --- payments and refunds ------------------------------------------------------------


def test_payment_by_hand_marks_the_invoice_paid(admin, club, invoices):
    invoice = invoices[0]
    today = timezone.localdate().strftime("%d.%m.%Y")
    response = admin.post(
        url("payment", club, invoice.pk),
        {"amount": "600,00 kr", "paid_on": today, "reference": "", "seen": state(invoice)},
    )
    assert response.status_code == 302
    invoice = fresh(invoice)
    assert invoice.status == "paid"
    with scopes_disabled():
        payment = Payment.objects.get(invoice=invoice)
    assert (payment.method, payment.amount) == ("manual", Decimal("600.00"))


@pytest.mark.parametrize(
    "data,message",
    [
        ({"amount": "seks hundre"}, "Write an amount in kroner"),
        ({"amount": "0"}, "cannot be below"),
        ({"paid_on": "31.02.2026"}, "Enter a valid date"),
        ({"paid_on": "01.01.2999"}, "cannot be in the future"),
    ],
)
def test_payment_refuses_bad_input(admin, club, invoices, data, message):
    invoice = invoices[0]
    form = {"amount": "100", "paid_on": timezone.localdate().strftime("%d.%m.%Y")}
    form.update(data, seen=state(invoice))
    response = admin.post(url("payment", club, invoice.pk), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        assert not Payment.objects.filter(club=club).exists()


def test_a_double_submitted_payment_is_one_payment(admin, club, invoices):
    invoice = invoices[0]
    form = {
        "amount": "200",
        "paid_on": timezone.localdate().strftime("%d.%m.%Y"),
        "seen": state(invoice),
    }
    admin.post(url("payment", club, invoice.pk), form)
    admin.post(url("payment", club, invoice.pk), form)
    # a new page (new state), the same bank reference twice: still one payment
    ref = {**form, "reference": "ARK-1", "seen": state(invoice)}
    admin.post(url("payment", club, invoice.pk), ref)
    again = admin.post(
        url("payment", club, invoice.pk), {**ref, "seen": state(invoice)}, follow=True
    )
    assert "registered already" in again.content.decode()
    with scopes_disabled():
        assert Payment.objects.filter(invoice=invoice).count() == 2


def test_refund_of_a_paid_invoice(admin, club, invoices):
    invoice = invoices[0]
    services.record_payment(
        invoice, club=club, amount=Decimal("600"), method="card", paid_on=timezone.localdate()
    )
    day = timezone.localdate().strftime("%d.%m.%Y")
    too_much = admin.post(
        url("refund", club, invoice.pk),
        {"amount": "600,01", "paid_on": day, "seen": state(invoice)},
    )
    assert too_much.status_code == 400
    assert "at most what was paid" in too_much.content.decode()
    response = admin.post(
        url("refund", club, invoice.pk), {"amount": "600", "paid_on": day, "seen": state(invoice)}
    )
    assert response.status_code == 302
    with scopes_disabled():
        refund = Payment.objects.get(club=club, kind="refund")
    assert refund.amount == Decimal("-600.00")
    assert "Refund" in admin.get(url("invoice", club, invoice.pk)).content.decode()


# --- PDFs and the post ---------------------------------------------------------------


def test_invoice_and_credit_note_pdfs(admin, club, invoices):
    invoice = invoices[0]
    response = admin.get(url("invoice_pdf", club, invoice.pk))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert fresh(invoice).pdf  # stored once, served as stored
    note = services.credit_invoice(invoice, amount=Decimal("50"))
    response = admin.get(url("credit_note_pdf", club, note.pk))
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert f"kreditnota-{note.number}.pdf" in response["Content-Disposition"]


def test_for_post_lists_invoices_without_email_and_merges_them(admin, club):
    _fee, members, invoices = make_invoices(club, names=("Epost", "Papir", "Brev"))
    with scopes_disabled():
        mine = Invoice.objects.filter(club=club)
        mine.exclude(recipient_name__startswith="Epost").update(recipient_email="")
    response = admin.get(url("for_post", club, query=f"run={invoices[0].run_id}"))
    listed = [inv.recipient_name for inv in response.context["page"].object_list]
    assert listed == ["Papir Hansen", "Brev Hansen"]
    merged = admin.get(url("for_post_pdf", club, query=f"up_to={invoices[-1].number}"))
    assert merged["Content-Type"] == "application/pdf"
    assert merged.content.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(merged.content)).pages) >= 2
    admin.post(url("for_post_done", club), {"up_to": str(invoices[1].number)})
    left = admin.get(url("for_post", club)).context["page"].object_list
    assert [inv.recipient_name for inv in left] == ["Brev Hansen"]


def test_nothing_for_post_prints_nothing(admin, club, invoices):
    response = admin.get(url("for_post_pdf", club), follow=True)
    assert response.redirect_chain[-1][0] == url("for_post", club)
    assert "There is nothing to print." in response.content.decode()


def test_the_invoice_list_reads_a_page_in_a_fixed_number_of_queries(
    admin, club, django_assert_max_num_queries
):
    make_invoices(club, names=("En", "To"))
    with django_assert_max_num_queries(12) as few:
        admin.get(url("invoices", club))
    make_invoices(club, names=("Tre", "Fire", "Fem", "Seks", "Sju"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin.get(url("invoices", club))


def test_for_post_lists_credit_notes_of_posted_invoices(admin, club):
    _fee, _members, invoices = make_invoices(club, names=("Papir", "Brev"))
    with scopes_disabled():
        Invoice.objects.filter(club=club).update(recipient_email="")
    admin.post(url("for_post_done", club), {"up_to": str(invoices[-1].number)})  # posted
    note = services.credit_invoice(invoices[0], amount=Decimal("100.00"), reason="Rabatt")
    page = admin.get(url("for_post", club))
    assert [n.pk for n in page.context["notes"]] == [note.pk]
    assert "Credit notes for post" in page.content.decode()
    merged = admin.get(url("for_post_pdf", club, query=f"kind=credit_notes&up_to={note.number}"))
    assert merged["Content-Type"] == "application/pdf"
    assert "kreditnotaer-post" in merged["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(merged.content)).pages) == 1
    done = admin.post(
        url("for_post_done", club), {"kind": "credit_notes", "up_to": str(note.number)}, follow=True
    )
    assert "1 credit note is marked as posted." in done.content.decode()
    assert admin.get(url("for_post", club)).context["notes"] == []
    with scopes_disabled():
        assert Invoice.objects.filter(club=club, sent_at__isnull=True).count() == 0
