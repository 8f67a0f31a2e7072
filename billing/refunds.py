"""Refunds of paid invoices (issue 8 point 5, R-BIL-9): a paid invoice is never edited and
never credited on its own; money paid back is a recorded refund (a negative payment)
together with a credit note for the part of the invoice that is given back.

So the books keep ``invoiced − credited = paid + open``: a refund of 300 kr on a paid
invoice of 1 000 kr credits 300 and pays back 300, and the invoice stays with nothing open.
Money paid in excess of the invoice (an overpayment) is paid back without a credit note:
the invoice itself was right. A refund larger than the overpayment does both.
"""

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django_scopes import scope

from billing import pricing
from billing.models import CreditNote, Invoice, Payment
from billing.services import BillingError, credited_amount, paid_amount, write_credit_note

# A reference typed by the admin is unique per (club, provider, reference).
REFUND_PROVIDER = "manual-refund"


def refundable(invoice: Invoice) -> Decimal:
    """What may be paid back on ``invoice``: what was paid, net of refunds, when paid."""
    if invoice.status != Invoice.Status.PAID:
        return Decimal("0.00")
    return max(paid_amount(invoice), Decimal("0.00"))


def refund_invoice(
    invoice: Invoice,
    *,
    amount: Decimal,
    paid_on: date,
    reference: str = "",
    reason: str = "",
    by=None,
    method: str = Payment.Method.MANUAL,
) -> tuple[Payment, CreditNote | None]:
    """Pay back ``amount`` of a paid invoice, in one transaction under the invoice's row
    lock: the refund payment and, for what is not an overpayment, a credit note from the
    club's gapless series (its PDF queued, e-mailed if the invoice was). A full refund
    leaves the invoice credited; a partial one leaves it paid. The same ``reference``
    twice is refused and nothing is recorded twice."""
    amount = pricing.money(Decimal(amount))
    provider = REFUND_PROVIDER if reference else ""
    with scope(club=invoice.club), transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != Invoice.Status.PAID:
            raise BillingError(_("Only a paid invoice is refunded."))
        paid = paid_amount(invoice)
        credited = credited_amount(invoice)
        if amount <= 0 or amount > paid:
            raise BillingError(
                _("A refund is more than zero and at most what was paid (%(amount)s).")
                % {"amount": number_format(paid, 2, force_grouping=True)}
            )
        if reference and Payment.objects.filter(provider=provider, reference=reference).exists():
            raise BillingError(_("A refund with this reference is already registered."))
        overpaid = max(paid + credited - invoice.total, Decimal("0.00"))
        to_credit = amount - min(amount, overpaid)
        note = None
        if to_credit > 0:
            note = write_credit_note(invoice, to_credit, by=by, reason=reason, on=paid_on)
        try:
            with transaction.atomic():
                refund = Payment.objects.create(
                    club=invoice.club,
                    invoice=invoice,
                    kind=Payment.Kind.REFUND,
                    paid_on=paid_on,
                    amount=-amount,
                    method=method,
                    provider=provider,
                    reference=reference,
                    kid=invoice.kid,
                )
        except IntegrityError as exc:  # the same reference, registered meanwhile
            raise BillingError(_("A refund with this reference is already registered.")) from exc
        if credited + to_credit >= invoice.total:
            invoice.status = Invoice.Status.CREDITED
            invoice.save(update_fields=["status"])
    return refund, note
