"""Stripe Checkout (``PAYMENT_PROVIDER=stripe``) over plain HTTPS (urllib, no SDK).

* start: ``POST /v1/checkout/sessions``, form encoded: one line of the open amount in øre,
  currency ``nok``; our token as ``client_reference_id`` and ``metadata[token]``;
  ``success_url``, ``cancel_url``, ``expires_at`` (``PAYMENT_SESSION_MINUTES``); our
  token as ``Idempotency-Key``. The answer's ``id`` is the reference, ``url`` the page.
* fetch_status: ``GET /v1/checkout/sessions/{id}``.
* cancel: ``POST /v1/checkout/sessions/{id}/expire``; a session no longer open answers
  400, and then we read how it ended.
* webhook (``/betaling/webhook/stripe/``): header ``Stripe-Signature: t=…,v1=…``, the
  HMAC-SHA256 with the endpoint's secret over ``"{t}.{raw body}"``, at most five minutes
  off. Events: ``checkout.session.completed`` (paid when ``payment_status`` is paid),
  ``.async_payment_succeeded`` (paid), ``.async_payment_failed`` (failed) and
  ``.expired`` (cancelled); others are acknowledged and ignored.

Settings: ``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``, ``STRIPE_API_BASE``.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from billing.models import CardPayment
from billing.payments.base import (
    InvalidCallback,
    PaymentProvider,
    PaymentProviderError,
    ProviderEvent,
    from_ore,
    to_ore,
)

logger = logging.getLogger(__name__)

SIGNATURE_TOLERANCE = 300  # seconds, as Stripe's own libraries
PAID_STATES = {"paid", "no_payment_required"}
SESSION_EVENTS = {
    "checkout.session.completed": CardPayment.Status.PAID,
    "checkout.session.async_payment_succeeded": CardPayment.Status.PAID,
    "checkout.session.async_payment_failed": CardPayment.Status.FAILED,
    "checkout.session.expired": CardPayment.Status.CANCELLED,
}


class StripeRefused(PaymentProviderError):  # noqa: N818
    """Stripe answered with an HTTP error; ``status`` is its code."""

    def __init__(self, status: int):
        super().__init__(
            _("The card payment service refused the request (HTTP %(status)s).")
            % {"status": status}
        )
        self.status = status


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str, timeout=15.0):
        self.secret_key, self.webhook_secret = secret_key, webhook_secret
        self.api_base, self.timeout = api_base.rstrip("/"), timeout

    @classmethod
    def from_settings(cls) -> "StripeProvider":
        if not (settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET):
            raise ImproperlyConfigured(
                "The Stripe provider needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET."
            )
        return cls(
            settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_API_BASE
        )

    # --- calls ------------------------------------------------------------------------

    def start(self, payment: CardPayment, return_url: str, cancel_url: str) -> str:
        invoice, club = payment.invoice, payment.club
        description = _("Invoice %(number)s from %(club)s") % {
            "number": invoice.number,
            "club": club.name,
        }
        expires_at = int(time.time()) + settings.PAYMENT_SESSION_MINUTES * 60
        params = [
            ("mode", "payment"),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", "nok"),
            ("line_items[0][price_data][unit_amount]", str(to_ore(payment.amount))),
            ("line_items[0][price_data][product_data][name]", description),
            ("payment_intent_data[description]", f"{description} (KID {invoice.kid})"),
            ("client_reference_id", payment.token),
            ("metadata[token]", payment.token),
            ("metadata[invoice]", str(invoice.number)),
            ("metadata[kid]", invoice.kid),
            ("metadata[club]", club.slug),
            ("success_url", return_url),
            ("cancel_url", cancel_url),
            ("expires_at", str(expires_at)),
        ]
        if invoice.recipient_email:
            params.append(("customer_email", invoice.recipient_email))
        session = self._call("POST", "/v1/checkout/sessions", params, idempotency=payment.token)
        if not session.get("id") or not session.get("url"):
            raise PaymentProviderError(_("The card payment service gave an unusable answer."))
        payment.provider_reference = session["id"]
        return session["url"]

    def fetch_status(self, payment: CardPayment) -> ProviderEvent | None:
        session = self._call("GET", _session_path(payment))
        status = _session_status(session)
        return _event(session, status) if status else None

    def cancel(self, payment: CardPayment) -> ProviderEvent:
        try:
            session = self._call("POST", _session_path(payment) + "/expire", [])
        except StripeRefused as exc:
            if exc.status != 400:  # 400: not open any more (paid, or expired already)
                raise
            session = self._call("GET", _session_path(payment))
        status = _session_status(session) or CardPayment.Status.CANCELLED
        return _event(session, status)

    def _call(self, method: str, path: str, params=None, *, idempotency: str = "") -> dict:
        headers = {"Authorization": f"Bearer {self.secret_key}"}
        data = None
        if params is not None:
            data = urllib.parse.urlencode(params).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if idempotency:
            headers["Idempotency-Key"] = idempotency
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting)
            self.api_base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            logger.warning("Stripe %s %s: HTTP %s %s", method, path, exc.code, _error(exc))
            raise StripeRefused(exc.code) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise PaymentProviderError(
                _("The card payment service could not be reached. Try again in a little while.")
            ) from exc
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise PaymentProviderError(
                _("The card payment service gave an answer we could not read.")
            ) from exc
        if not isinstance(answer, dict):
            raise PaymentProviderError(_("The card payment service gave an unusable answer."))
        return answer

    # --- webhook ----------------------------------------------------------------------

    def verify_callback(self, request) -> ProviderEvent | None:
        payload = request.body
        self.check_signature(payload, request.headers.get("Stripe-Signature", ""))
        try:
            event = json.loads(payload)
            kind, created = event["type"], event["created"]
            session = event["data"]["object"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCallback("not a Stripe event") from exc
        if kind not in SESSION_EVENTS:
            return None
        if not isinstance(session, dict) or session.get("object") != "checkout.session":
            raise InvalidCallback(f"{kind} without a checkout session")
        status = SESSION_EVENTS[kind]
        if kind == "checkout.session.completed" and session.get("payment_status") not in (
            PAID_STATES
        ):
            return None  # a delayed method (bank debit): async_payment_* follows
        return _event(session, status, datetime.fromtimestamp(created, tz=UTC))

    def check_signature(self, payload: bytes, header: str, now: float | None = None) -> None:
        """Raise ``InvalidCallback`` unless ``header`` signs ``payload`` with our endpoint
        secret, at a time no more than five minutes from ``now``."""
        pairs = [part.strip().split("=", 1) for part in header.split(",") if "=" in part]
        stamps = [value for key, value in pairs if key == "t"]
        signatures = [value for key, value in pairs if key == "v1"]
        if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
            raise InvalidCallback("no timestamp or no v1 signature in Stripe-Signature")
        signed = stamps[0].encode() + b"." + payload
        expected = hmac.new(self.webhook_secret.encode(), signed, hashlib.sha256).hexdigest()
        if not any(hmac.compare_digest(expected, s) for s in signatures):
            raise InvalidCallback("the signature does not match")
        if abs((time.time() if now is None else now) - int(stamps[0])) > SIGNATURE_TOLERANCE:
            raise InvalidCallback("the signature is too old")


def _session_path(payment: CardPayment) -> str:
    return "/v1/checkout/sessions/" + urllib.parse.quote(payment.provider_reference, safe="")


def _session_status(session: dict) -> str | None:
    """How a session read from the API ended; None while it is open or processing."""
    if session.get("status") == "expired":
        return CardPayment.Status.CANCELLED
    if session.get("status") == "complete" and session.get("payment_status") in PAID_STATES:
        return CardPayment.Status.PAID
    return None


def _event(session: dict, status: str, occurred_at: datetime | None = None) -> ProviderEvent:
    if not isinstance(session.get("id"), str):
        raise InvalidCallback("a checkout session without an id")
    amount = None
    if status == CardPayment.Status.PAID:
        if session.get("currency") != "nok":
            raise InvalidCallback(f"paid in {session.get('currency')!r}, not NOK")
        amount = from_ore(session.get("amount_total"))
    return ProviderEvent(
        reference=session["id"],
        status=status,
        amount=amount,
        occurred_at=occurred_at,
        token=session.get("client_reference_id") or "",
    )


def _error(exc: urllib.error.HTTPError) -> str:
    try:
        return json.loads(exc.read())["error"]["message"]
    except (ValueError, KeyError, TypeError, OSError):
        return ""
