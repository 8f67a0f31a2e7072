"""The Stripe Checkout adapter against a local fake Stripe (real HTTP on 127.0.0.1): the
session it creates, the webhook's signature (good, wrong, too old) and idempotency, the
status poll on return and the cancel return (R-BIL-8)."""

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from billing.models import InvoicePaymentMethod
from billing.payments import get_provider
from billing.payments.base import InvalidCallback

from . import fake_stripe
from .conftest import PRICE, WEBHOOK, card_payments, paid, payments, reload
from .fake_stripe import event, signature


def start(member):
    response = member["client"].post(reverse("payments:pay", args=[member["invoice"].pk]))
    card = card_payments(invoice=member["invoice"])[-1]
    return card, response


def send(client, payload: bytes, header: str | None = None):
    return client.post(
        WEBHOOK,
        payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature(payload) if header is None else header},
    )


def test_start_creates_a_checkout_session_with_amount_in_ore_and_our_token(stripe, agnes):
    before = int(time.time())
    card, response = start(agnes)
    [request] = stripe.requests
    assert response.status_code == 302
    assert response["Location"] == f"https://checkout.stripe.test/c/pay/{card.provider_reference}"
    assert card.provider == "stripe" and card.provider_reference == "cs_test_fake0001"
    assert (request["method"], request["path"]) == ("POST", "/v1/checkout/sessions")
    assert request["headers"]["Authorization"] == f"Bearer {fake_stripe.SECRET_KEY}"
    assert request["headers"]["Idempotency-Key"] == card.token
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    form = {key: values[0] for key, values in request["form"].items()}
    invoice = agnes["invoice"]
    base = "http://testserver"
    assert (
        form.items()
        >= {
            "mode": "payment",
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": "nok",
            "line_items[0][price_data][unit_amount]": "125000",
            "line_items[0][price_data][product_data][name]": (
                f"Invoice {invoice.number} from Faktura IL"
            ),
            "client_reference_id": card.token,
            "metadata[token]": card.token,
            "metadata[invoice]": str(invoice.number),
            "metadata[kid]": invoice.kid,
            "success_url": base + reverse("payments:done", args=[card.token]),
            "cancel_url": base + reverse("payments:cancelled", args=[card.token]),
            "customer_email": "agnes@example.no",
        }.items()
    )
    assert before + 3600 <= int(form["expires_at"]) <= int(time.time()) + 3600


def test_webhook_records_the_payment_once(stripe, agnes):
    card, _ = start(agnes)
    created = int(datetime(2026, 1, 20, 23, 30, tzinfo=UTC).timestamp())  # 21.01 in Oslo
    payload = event("checkout.session.completed", paid(stripe, card), created=created)
    assert send(agnes["client"], payload).status_code == 200
    assert send(agnes["client"], payload).status_code == 200  # Stripe retries
    [payment] = payments(invoice=agnes["invoice"])
    assert (payment.amount, payment.method, payment.provider) == (PRICE, "card", "stripe")
    assert payment.reference == card.provider_reference
    assert payment.paid_on == datetime(2026, 1, 21).date()
    assert reload(agnes["invoice"]).status == "paid"
    assert card_payments(pk=card.pk)[0].status == "paid"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "t=123",
        "v1=abc",
        "t=notanumber,v1=abc",
        "wrong-secret",
        "old",
        "tampered",
    ],
)
def test_a_webhook_with_a_bad_signature_is_refused_and_records_nothing(stripe, agnes, header):
    card, _ = start(agnes)
    payload = event("checkout.session.completed", paid(stripe, card))
    if header == "wrong-secret":
        header = signature(payload, secret="whsec_someone_else")
    elif header == "old":
        header = signature(payload, at=int(time.time()) - 301)
    elif header == "tampered":
        header = signature(payload.replace(b"125000", b"125001"))
    response = send(agnes["client"], payload, header)
    assert response.status_code == 400
    assert payments() == [] and card_payments(pk=card.pk)[0].status == "started"


def test_signature_rules(stripe):
    provider = get_provider("stripe")
    payload = b'{"x": 1}'
    now = 1_700_000_000
    good = signature(payload, at=now)
    provider.check_signature(payload, good, now=now + 300)  # five minutes: still fine
    provider.check_signature(payload, f"{good},v1=deadbeef,v0=old", now=now)  # any v1 may match
    with pytest.raises(InvalidCallback, match="too old"):
        provider.check_signature(payload, good, now=now + 301)
    with pytest.raises(InvalidCallback, match="does not match"):
        provider.check_signature(payload + b" ", good, now=now)


def test_expired_and_failed_sessions_leave_the_invoice_open_as_prepaid(stripe, members):
    for member, kind in (
        (members["agnes"], "checkout.session.expired"),
        (members["brede"], "checkout.session.async_payment_failed"),
    ):
        card, _ = start(member)
        session = stripe.sessions[card.provider_reference]
        session["status"] = "expired" if kind.endswith("expired") else "complete"
        assert send(member["client"], event(kind, session)).status_code == 200
        invoice = reload(member["invoice"])
        assert (invoice.status, invoice.payment_method) == ("issued", InvoicePaymentMethod.PREPAID)
        status = "cancelled" if kind.endswith("expired") else "failed"
        assert card_payments(pk=card.pk)[0].status == status
    assert payments() == []


def test_events_we_do_not_act_on_are_acknowledged(stripe, agnes):
    card, _ = start(agnes)
    session = stripe.sessions[card.provider_reference]
    processing = dict(session, status="complete", payment_status="unpaid")  # bank debit
    for payload in (
        event("checkout.session.completed", processing),
        event("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"}),
        event("checkout.session.completed", paid(stripe, card, id="cs_someone_else")),
    ):
        assert send(agnes["client"], payload).status_code == 200
    assert payments() == [] and card_payments(pk=card.pk)[0].status == "started"


def test_a_short_amount_is_recorded_as_charged_and_the_rest_stays_open(stripe, agnes):
    card, _ = start(agnes)
    send(
        agnes["client"],
        event("checkout.session.completed", paid(stripe, card, amount_total=100000)),
    )
    [payment] = payments(invoice=agnes["invoice"])
    assert payment.amount == Decimal("1000.00")
    assert reload(agnes["invoice"]).status == "issued"
    assert card_payments(pk=card.pk)[0].status == "paid"
    result = agnes["client"].get(reverse("payments:done", args=[card.token])).content.decode()
    assert "1\xa0000,00 kr" in result and "the rest is still open" in result


@pytest.mark.parametrize(
    "changes",
    [
        {"currency": "sek"},
        {"amount_total": 1250.0},
        {"client_reference_id": "another-token"},
    ],
)
def test_an_event_we_cannot_trust_records_nothing(stripe, agnes, changes):
    card, _ = start(agnes)
    payload = event("checkout.session.completed", paid(stripe, card, **changes))
    assert send(agnes["client"], payload).status_code == 400
    assert payments() == []


def test_the_result_page_asks_stripe_before_the_webhook_comes(stripe, agnes):
    card, _ = start(agnes)
    done = reverse("payments:done", args=[card.token])
    assert "Waiting for the payment" in agnes["client"].get(done).content.decode()
    session = paid(stripe, card)
    assert "Payment received" in agnes["client"].get(done).content.decode()
    assert [r["method"] for r in stripe.requests] == ["POST", "GET", "GET"]
    assert stripe.requests[-1]["path"] == f"/v1/checkout/sessions/{card.provider_reference}"
    send(agnes["client"], event("checkout.session.completed", session))  # then the webhook
    assert len(payments(invoice=agnes["invoice"])) == 1
    agnes["client"].get(done)
    assert len(stripe.requests) == 3  # paid: no more questions


def test_the_cancel_return_expires_the_session(stripe, agnes):
    card, _ = start(agnes)
    response = agnes["client"].get(reverse("payments:cancelled", args=[card.token]))
    assert response["Location"] == reverse("payments:done", args=[card.token])
    assert stripe.requests[-1]["path"] == f"/v1/checkout/sessions/{card.provider_reference}/expire"
    assert stripe.sessions[card.provider_reference]["status"] == "expired"
    invoice = reload(agnes["invoice"])
    assert (invoice.status, invoice.payment_method) == ("issued", InvoicePaymentMethod.PREPAID)
    assert card_payments(pk=card.pk)[0].status == "cancelled"


def test_a_cancel_return_after_paying_records_the_payment(stripe, agnes):
    card, _ = start(agnes)
    paid(stripe, card)  # paid in another tab, then the back button
    agnes["client"].get(reverse("payments:cancelled", args=[card.token]))
    assert [r["method"] for r in stripe.requests[-2:]] == ["POST", "GET"]
    assert reload(agnes["invoice"]).status == "paid"
    assert len(payments(invoice=agnes["invoice"])) == 1


def test_paid_after_cancel_still_counts(stripe, agnes):
    """Money taken is always recorded, even after the member came back via cancel."""
    card, _ = start(agnes)
    stripe.fail = [(500, "down")]
    agnes["client"].get(reverse("payments:cancelled", args=[card.token]))
    assert card_payments(pk=card.pk)[0].status == "cancelled"
    send(agnes["client"], event("checkout.session.completed", paid(stripe, card)))
    assert card_payments(pk=card.pk)[0].status == "paid"
    assert reload(agnes["invoice"]).status == "paid"


@pytest.mark.parametrize(
    ("fail", "message"),
    [
        ((401, "Invalid API Key provided"), "refused the request (HTTP 401)"),
        (None, "could not be reached"),
    ],
)
def test_stripe_refusing_or_down_starts_nothing(stripe, agnes, settings, fail, message):
    if fail:
        stripe.fail = [fail]
    else:
        settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the discard port: nobody answers
    response = agnes["client"].post(reverse("payments:pay", args=[agnes["invoice"].pk]))
    assert response.status_code == 400 and message in response.content.decode()
    assert card_payments() == []


def test_configuration(settings, agnes):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="STRIPE_SECRET_KEY"):
        get_provider("stripe")
    with pytest.raises(ImproperlyConfigured, match="not known"):
        get_provider("vipps")
    assert agnes["client"].post(WEBHOOK, b"{}", content_type="application/json").status_code == 404
    assert agnes["client"].get(reverse("payments:webhook", args=["nope"])).status_code == 405
    assert agnes["client"].post(reverse("payments:webhook", args=["nope"])).status_code == 404
