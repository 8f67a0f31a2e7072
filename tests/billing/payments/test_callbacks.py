"""Applying what a provider says (R-BIL-8): once, even when the same news comes twice at
the same moment (threads, PostgreSQL row locks); the amount the provider charged is what
is recorded; paid wins over cancelled."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from billing import services as billing
from billing.models import CardPayment
from billing.payments import services
from billing.payments.base import InvalidCallback, ProviderEvent, from_ore, to_ore
from tests.concurrency import run_at_once

from . import fake_stripe
from .conftest import PRICE, WEBHOOK, card_payments, paid, payments, reload

PAID = CardPayment.Status.PAID
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


def started(member) -> CardPayment:
    services.start_payment(member["invoice"], member["person"], "http://testserver")
    return card_payments(invoice=member["invoice"])[-1]


def paid_event(card: CardPayment, amount=None) -> ProviderEvent:
    return ProviderEvent(card.provider_reference, PAID, card.amount if amount is None else amount)


def test_more_than_asked_is_recorded_and_the_invoice_paid(agnes):
    card = started(agnes)
    services.apply_event("test", paid_event(card, Decimal("1300.00")))
    assert [p.amount for p in payments()] == [Decimal("1300.00")]
    invoice = reload(agnes["invoice"])
    assert invoice.status == "paid" and billing.open_amount(invoice) == Decimal("-50.00")


def test_paid_after_cancelled_is_recorded_and_cancelled_after_paid_changes_nothing(agnes):
    card = started(agnes)
    cancelled = ProviderEvent(card.provider_reference, CardPayment.Status.CANCELLED)
    services.apply_event("test", cancelled)
    assert reload(agnes["invoice"]).payment_method == "prepaid"
    services.apply_event("test", paid_event(card))
    services.apply_event("test", cancelled)
    assert card_payments(pk=card.pk)[0].status == PAID
    assert reload(agnes["invoice"]).status == "paid" and len(payments()) == 1


def test_unknown_reference_and_wrong_token(agnes):
    card = started(agnes)
    assert services.apply_event("test", ProviderEvent("test_nobody", PAID, PRICE)) is None
    assert services.apply_event("stripe", paid_event(card)) is None  # another provider's
    wrong = ProviderEvent(card.provider_reference, PAID, PRICE, token="not-the-token")
    with pytest.raises(InvalidCallback):
        services.apply_event("test", wrong)
    assert payments() == [] and card_payments(pk=card.pk)[0].status == "started"


def test_only_the_recipient_starts_a_payment(members):
    with pytest.raises(billing.BillingError, match="recipient"):
        services.start_payment(
            members["agnes"]["invoice"], members["brede"]["person"], "http://testserver"
        )
    assert card_payments() == []


def test_money_in_ore_without_floats():
    assert to_ore(Decimal("1250.00")) == 125000 and to_ore(Decimal("0.01")) == 1
    assert from_ore(125050) == Decimal("1250.50") and str(from_ore(1)) == "0.01"
    for bad in (1250.5, "125000", True, None):
        with pytest.raises(InvalidCallback):
            from_ore(bad)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_callback_twice_at_once_is_one_payment(agnes):
    card = started(agnes)
    event = paid_event(card)
    results = run_at_once(*[lambda: services.apply_event("test", event)] * 2)
    assert all(isinstance(r, CardPayment) and r.status == PAID for r in results), results
    assert len(payments()) == 1 and reload(agnes["invoice"]).status == "paid"


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_stripe_webhooks_at_once_are_one_payment(stripe, agnes):
    agnes["client"].post(reverse("payments:pay", args=[agnes["invoice"].pk]))
    [card] = card_payments()
    payload = fake_stripe.event("checkout.session.completed", paid(stripe, card))
    header = fake_stripe.signature(payload)

    def deliver():
        response = Client().post(
            WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
        return response.status_code

    assert run_at_once(deliver, deliver, deliver) == [200, 200, 200]
    with scopes_disabled():
        assert len(payments()) == 1
    assert reload(agnes["invoice"]).status == "paid"


def test_a_prepaid_invoice_can_be_credited_and_is_then_not_payable(agnes):
    """R-BIL-9: an unpaid PrePaid invoice is credited like any unpaid invoice."""
    card = started(agnes)
    services.apply_event(
        "test", ProviderEvent(card.provider_reference, CardPayment.Status.CANCELLED)
    )
    assert reload(agnes["invoice"]).payment_method == "prepaid"
    billing.credit_invoice(agnes["invoice"])
    invoice = reload(agnes["invoice"])
    assert (invoice.status, invoice.payment_method) == ("credited", "prepaid")
    with pytest.raises(billing.BillingError, match="credited"):
        services.start_payment(invoice, agnes["person"], "http://testserver")
