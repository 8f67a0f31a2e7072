"""The payment provider interface (R-BIL-8, DOMAIN.md §6): create a session → send the
member to the provider's page → the provider tells us how it ended (a signed callback,
or our poll when the member comes back), idempotent on the provider's reference."""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from billing.models import CardPayment
from billing.services import BillingError


class PaymentProviderError(BillingError):
    """The provider could not be reached or refused a call; the message is for the user."""


class InvalidCallback(Exception):  # noqa: N818 (reads as what it is)
    """A callback with a wrong or old signature, or one we cannot read: answered with 400
    and nothing is recorded."""


@dataclass(frozen=True)
class ProviderEvent:
    """What a provider says about one of its sessions. ``reference`` is the session's id
    at the provider (``CardPayment.provider_reference``); ``status`` one of
    ``CardPayment.Status`` PAID, CANCELLED or FAILED; ``amount`` what was charged (NOK),
    for PAID; ``token`` our token if the provider echoes it back (checked when given)."""

    reference: str
    status: str
    amount: Decimal | None = None
    occurred_at: datetime | None = None
    token: str = ""


class PaymentProvider(ABC):
    """One card payment provider. ``name`` is what ``PAYMENT_PROVIDER`` and
    ``CardPayment.provider`` hold; ``has_webhook`` says whether it calls
    ``/betaling/webhook/<name>/`` (the built-in test provider calls back through its
    own page instead)."""

    name: str
    has_webhook: bool = True

    @classmethod
    def from_settings(cls) -> "PaymentProvider":
        return cls()

    @abstractmethod
    def start(self, payment: CardPayment, return_url: str, cancel_url: str) -> str:
        """Create the provider's session for ``payment`` (amount, our token) and return
        the URL of its payment page. Sets ``payment.provider_reference`` to the session's
        id; raises ``PaymentProviderError``."""

    @abstractmethod
    def verify_callback(self, request) -> ProviderEvent | None:
        """Check that ``request`` really comes from the provider (signature, secret, age)
        and read it; raises ``InvalidCallback``. None: a genuine callback about nothing we
        act on (another event type, a payment still processing)."""

    @abstractmethod
    def fetch_status(self, payment: CardPayment) -> ProviderEvent | None:
        """Ask the provider how ``payment`` stands (used when the member comes back, before
        the callback may have arrived). None: still open or processing."""

    @abstractmethod
    def cancel(self, payment: CardPayment) -> ProviderEvent:
        """The member came back through the cancel address: close the session at the
        provider so it can't be paid later, and say how it ended (it may have been paid
        just before)."""


def to_ore(amount: Decimal) -> int:
    """NOK to øre, exactly (amounts have two places)."""
    return int((amount * 100).to_integral_value())


def from_ore(ore: int) -> Decimal:
    """Øre, as a provider sends them (an integer), to NOK with two places; no float."""
    if isinstance(ore, bool) or not isinstance(ore, int):
        raise InvalidCallback(f"amount {ore!r} is not a whole number of øre")
    return Decimal(ore).scaleb(-2)
