"""Card payment (R-BIL-8): providers behind one interface (``base.PaymentProvider``),
picked by name through a small registry. ``PAYMENT_PROVIDER`` names the one new payments
start with; a payment keeps the name it started with, so its callbacks still find it.

``test``: the built-in test provider with its own payment page (``builtin``), for the
demo and the tests. ``stripe``: Stripe Checkout over HTTP (``stripe``).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from billing.payments.base import PaymentProvider

PROVIDERS = {
    "test": "billing.payments.builtin.TestProvider",
    "stripe": "billing.payments.stripe.StripeProvider",
}


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider ``name`` (default ``PAYMENT_PROVIDER``) made from the settings; raises
    ``ImproperlyConfigured`` for an unknown name or missing settings."""
    name = name or settings.PAYMENT_PROVIDER
    if name not in PROVIDERS:
        raise ImproperlyConfigured(
            f"Payment provider {name!r} is not known ({', '.join(PROVIDERS)})."
        )
    return import_string(PROVIDERS[name]).from_settings()
