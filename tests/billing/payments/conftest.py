"""Fixtures for card payment (R-BIL-8): a club that takes cards, two members with one
open invoice each (1 250,00), and their logins."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse_lazy
from django_scopes import scopes_disabled

from billing import services
from billing.models import CardPayment, Invoice, Payment

from ..conftest import RUN_DATE, make_fee, make_member
from . import fake_stripe

PASSWORD = "pw-123456789"  # noqa: S105
PRICE = Decimal("1250.00")
CLUB = "faktura-il"  # make_club's slug
WEBHOOK = reverse_lazy("payments:webhook", args=["stripe"])


@pytest.fixture
def card_club(club):
    with scopes_disabled():
        club.accepts_card = True
        club.save()
    return club


def _login(django_user_model, person) -> Client:
    user = django_user_model.objects.create_user(person.email, PASSWORD)
    user.person = person
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def members(card_club, django_user_model):
    """Agnes and Brede, each with an invoice and a logged-in client."""
    fee = make_fee(card_club, price=str(PRICE))
    people = {name: make_member(card_club, name, fee=fee).person for name in ("Agnes", "Brede")}
    services.run_invoices(card_club, RUN_DATE)
    with scopes_disabled():
        return {
            name.lower(): {
                "person": person,
                "invoice": Invoice.objects.get(recipient=person),
                "client": _login(django_user_model, person),
            }
            for name, person in people.items()
        }


@pytest.fixture
def agnes(members):
    return members["agnes"]


def card_payments(**filters) -> list[CardPayment]:
    """The test club's card payments (the seeded demo clubs have their own)."""
    with scopes_disabled():
        return list(CardPayment.objects.filter(club__slug=CLUB, **filters).order_by("pk"))


def payments(**filters) -> list[Payment]:
    """The test club's payments."""
    with scopes_disabled():
        return list(Payment.objects.filter(club__slug=CLUB, **filters).order_by("pk"))


def reload(invoice: Invoice) -> Invoice:
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


@pytest.fixture
def stripe(settings):
    """PAYMENT_PROVIDER=stripe against a fake Stripe on 127.0.0.1 (``fake_stripe``)."""
    server, base = fake_stripe.serve()
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = fake_stripe.SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = fake_stripe.WEBHOOK_SECRET
    settings.STRIPE_API_BASE = base
    yield fake_stripe.FakeStripe
    server.shutdown()
    server.server_close()


def paid(stripe, card, **changes) -> dict:
    """The fake's session of ``card`` marked paid, as Stripe would after a payment."""
    session = stripe.sessions[card.provider_reference]
    session.update({"status": "complete", "payment_status": "paid", **changes})
    return session
