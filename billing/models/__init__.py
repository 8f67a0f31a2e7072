"""Billing models (SPEC §6, DESIGN.md "Money and invoices"). Money is ``Decimal`` with
two places (``DecimalField(max_digits=12, decimal_places=2)``), never a float."""

from .agreements import Agreement
from .card import CardPayment
from .collections import (
    AvtaleGiroMandate,
    BillingSettings,
    Claim,
    ClaimFile,
    PaymentFile,
    Reminder,
)
from .fees import Fee, Period, PriceRule
from .invoices import (
    CreditNote,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoicePaymentMethod,
    InvoiceRun,
)
from .payments import Payment

__all__ = [
    "Agreement",
    "AvtaleGiroMandate",
    "BillingSettings",
    "CardPayment",
    "Claim",
    "ClaimFile",
    "CreditNote",
    "Fee",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "InvoicePaymentMethod",
    "InvoiceRun",
    "Payment",
    "PaymentFile",
    "Period",
    "PriceRule",
    "Reminder",
]
