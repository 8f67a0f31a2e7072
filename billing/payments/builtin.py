"""The built-in test provider (``PAYMENT_PROVIDER=test``), for the demo and the tests: its
own payment page at ``/betaling/test/<token>/`` that looks like a provider's hosted card
page, with Pay and Cancel. It never takes money.

It behaves like a provider from the outside: the session it was given at ``start`` lives
on "its side" (the cache, as a real provider's lives on its servers), its page shows only
what the session holds, and the page's POST (a form with Django's CSRF check) is its
callback. The first decision on a session sticks: the same POST again reports the same
outcome, as a provider re-sends the same event."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from billing.models import CardPayment
from billing.payments.base import InvalidCallback, PaymentProvider, ProviderEvent

ACTIONS = {"pay": CardPayment.Status.PAID, "cancel": CardPayment.Status.CANCELLED}


class TestProvider(PaymentProvider):
    __test__ = False  # not a pytest test class
    name = "test"
    has_webhook = False

    @classmethod
    def from_settings(cls) -> "TestProvider":
        if settings.PAYMENT_PROVIDER != "test":
            raise ImproperlyConfigured(
                "The test payment provider runs only with PAYMENT_PROVIDER=test."
            )
        return cls()

    # --- the provider's side ----------------------------------------------------------

    def _timeout(self) -> int:
        return settings.PAYMENT_SESSION_MINUTES * 60

    def session(self, token: str) -> dict | None:
        """The session as the provider holds it; None once it has expired."""
        return cache.get(_key(token))

    def decision(self, token: str) -> dict | None:
        return cache.get(_key(token, "decision"))

    def decide(self, token: str, status: str) -> dict:
        """Pay or cancel the session; the first decision wins (``cache.add`` is atomic)."""
        decision = {"status": str(status), "at": timezone.now().isoformat()}
        cache.add(_key(token, "decision"), decision, timeout=self._timeout())
        return self.decision(token) or decision

    def next_url(self, token: str) -> str:
        """Where the page sends the member after a decision: back to the shop."""
        session, decision = self.session(token), self.decision(token)
        paid = decision is not None and decision["status"] == CardPayment.Status.PAID
        return session["return_url"] if paid else session["cancel_url"]

    # --- the interface ----------------------------------------------------------------

    def start(self, payment: CardPayment, return_url: str, cancel_url: str) -> str:
        payment.provider_reference = f"test_{secrets.token_hex(12)}"
        session = {
            "reference": payment.provider_reference,
            "amount": str(payment.amount),
            "merchant": payment.club.name,
            "invoice": payment.invoice.number,
            "return_url": return_url,
            "cancel_url": cancel_url,
        }
        cache.set(_key(payment.token), session, timeout=self._timeout())
        return reverse("payments:test_page", args=[payment.token])

    def verify_callback(self, request) -> ProviderEvent | None:
        """The page's POST: an action on a session this provider issued and still holds."""
        token = request.POST.get("session", "")
        status = ACTIONS.get(request.POST.get("action", ""))
        if request.method != "POST" or status is None:
            raise InvalidCallback("not a pay or cancel form")
        session = self.session(token)
        if session is None:
            raise InvalidCallback("no such session, or it has expired")
        return _event(token, session, self.decide(token, status))

    def fetch_status(self, payment: CardPayment) -> ProviderEvent | None:
        session = self.session(payment.token)
        if session is None:  # expired unpaid
            return ProviderEvent(payment.provider_reference, CardPayment.Status.CANCELLED)
        return _event(payment.token, session, self.decision(payment.token))

    def cancel(self, payment: CardPayment) -> ProviderEvent:
        session = self.session(payment.token)
        if session is None:
            return ProviderEvent(payment.provider_reference, CardPayment.Status.CANCELLED)
        decision = self.decide(payment.token, CardPayment.Status.CANCELLED)
        return _event(payment.token, session, decision)


def _key(token: str, part: str = "session") -> str:
    return f"payments:test:{part}:{token}"


def _event(token: str, session: dict, decision: dict | None) -> ProviderEvent | None:
    if decision is None:
        return None
    paid = decision["status"] == CardPayment.Status.PAID
    return ProviderEvent(
        reference=session["reference"],
        status=decision["status"],
        amount=Decimal(session["amount"]) if paid else None,
        occurred_at=parse_datetime(decision["at"]),
        token=token,
    )
