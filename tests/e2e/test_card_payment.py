"""Card payment in a real browser (R-BIL-8, R-BIL-9, issue 6): the demo parent pays an
open invoice from Min side with the built-in test provider; another member starts a
payment and cancels it, so their invoice stays open as PrePaid; the club admin credits
that invoice from its page."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from billing.models import CreditNote, Invoice, InvoicePaymentMethod, Payment
from billing.services import open_amount
from members.services import get_or_create_user
from tests.conftest import DEMO_PASSWORD

from .axe import assert_no_serious_violations
from .conftest import log_in

pytestmark = pytest.mark.e2e

PARENT = "forelder-a@example.no"
OTHER = "medlem-kort@example.no"


def _open_invoices(club, person):
    return Invoice.objects.filter(
        club=club, recipient=person, status=Invoice.Status.ISSUED
    ).order_by("number")


def _other_member_with_open_invoice(club):
    """A recipient of an open demo invoice who has no login yet gets one."""
    User = get_user_model()
    with_login = User.objects.exclude(person=None).values("person_id")
    invoice = (
        Invoice.objects.filter(
            club=club,
            status=Invoice.Status.ISSUED,
            payment_method=InvoicePaymentMethod.INVOICE,
            payments=None,
            credit_notes=None,
        )
        .exclude(recipient_id__in=with_login)
        .order_by("number")
        .first()
    )
    user = get_or_create_user(OTHER, DEMO_PASSWORD)
    user.person = invoice.recipient
    user.save()
    return invoice


def _pay_page(page, invoice):
    """From Min side, the invoice's "Pay by card" to the test provider's page."""
    page.goto("/min-side/")
    page.locator(f'.min-side-invoices a.pay[href="/betaling/faktura/{invoice.pk}/"]').first.click()
    expect(page).to_have_url(re.compile(rf"/betaling/faktura/{invoice.pk}/$"))
    expect(page.locator("main")).to_contain_text(invoice.kid)
    assert_no_serious_violations(page)
    page.locator("#pay-by-card").click()
    expect(page).to_have_url(re.compile(r"/betaling/test/[^/]+/$"))
    assert_no_serious_violations(page)


def test_pay_cancel_prepaid_and_credit(new_page, demo_clubs_tx):
    club = demo_clubs_tx["a"]
    with scopes_disabled():
        parent = get_user_model().objects.get(email=PARENT).person
        paid_invoice = _open_invoices(club, parent).first()
        assert paid_invoice is not None, "the demo gives the parent an open invoice"
        amount = open_amount(paid_invoice)
        other_invoice = _other_member_with_open_invoice(club)

    # 1. The parent pays.
    page = new_page()
    log_in(page, PARENT)
    _pay_page(page, paid_invoice)
    page.locator("#test-pay").click()
    expect(page).to_have_url(re.compile(r"/betaling/[^/]+/ferdig/$"))
    expect(page.locator("#payment-result")).to_have_attribute("data-status", "paid")
    with scopes_disabled():
        paid_invoice.refresh_from_db()
        payments = list(Payment.objects.filter(invoice=paid_invoice))
    assert paid_invoice.status == Invoice.Status.PAID
    assert [(p.amount, p.method) for p in payments] == [(amount, Payment.Method.CARD)]

    # 2. Another member starts a payment and cancels it: open, PrePaid.
    other = new_page(390, 844)
    log_in(other, OTHER)
    _pay_page(other, other_invoice)
    other.locator("#test-cancel").click()
    expect(other.locator("#payment-result")).to_have_attribute("data-status", "cancelled")
    with scopes_disabled():
        other_invoice.refresh_from_db()
        assert not Payment.objects.filter(invoice=other_invoice).exists()
    assert other_invoice.status == Invoice.Status.ISSUED
    assert other_invoice.payment_method == InvoicePaymentMethod.PREPAID
    other.goto("/min-side/")
    item = other.locator(
        ".min-side-invoices li", has=other.locator(f'a[href*="/{other_invoice.pk}/pdf/"]')
    )
    expect(item.locator(".badge.invoice-prepaid").first).to_be_visible()

    # 3. The admin sees PrePaid on the invoice and credits it in full.
    admin = new_page()
    log_in(admin, "admin-a@example.no")
    admin.goto(f"/club/{club.slug}/billing/invoices/{other_invoice.pk}/")
    expect(admin.locator(".page-head .badge.invoice-prepaid")).to_be_visible()
    assert_no_serious_violations(admin)
    form = admin.locator("#credit-form")
    form.locator("input[name=amount]").fill(str(other_invoice.total).replace(".", ","))
    form.locator("[name=reason]").fill("Meldte seg ut før sesongstart")
    form.locator("button[type=submit]").click()
    expect(admin.locator("#credit-notes table tbody tr")).to_have_count(1)
    expect(admin.locator(".page-head .badge.invoice-credited")).to_be_visible()
    expect(admin.locator("#open-amount")).to_contain_text("0,00")
    with scopes_disabled():
        other_invoice.refresh_from_db()
        notes = list(CreditNote.objects.filter(invoice=other_invoice))
    assert other_invoice.status == Invoice.Status.CREDITED
    assert [n.amount for n in notes] == [other_invoice.total]
    assert other_invoice.total > Decimal("0")
