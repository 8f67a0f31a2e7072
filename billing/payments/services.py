"""Card payment of an invoice (R-BIL-8): start it, follow it, record it once.

* ``start_payment`` checks that the invoice can be paid by card now, makes a
  ``CardPayment`` for its open amount and asks the provider for a payment page. Clicking
  "pay" again while that page still works gives the same page, not a second session.
* The provider's word on how it ended comes from a verified callback
  (``handle_callback``) or from asking it when the member comes back
  (``refresh_status``, ``cancel_by_return``); both end in ``apply_event``, which holds
  the payment's row lock, so the same news twice, or at once, records one ``Payment``
  (``billing.services.record_payment`` is idempotent on the reference too).
* Paid: the ``Payment`` is what the provider says it charged; the invoice is paid only
  if that covers what is open (a short amount leaves the rest open, an extra amount shows
  as paid too much, for a refund). Paid wins over an earlier cancel: money taken is
  always recorded. Cancelled or failed: the invoice stays open with payment type PrePaid.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from billing import services as billing
from billing.models import CardPayment, Invoice, InvoicePaymentMethod, Payment
from billing.payments import get_provider
from billing.payments.base import InvalidCallback, PaymentProvider, ProviderEvent
from billing.pdf.tasks import issue_invoices
from members.models import Person

logger = logging.getLogger(__name__)

REUSE_MARGIN = timedelta(minutes=10)  # a page reused has at least this long left
OPEN_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTLY_CREDITED)


def invoice_for_person(person: Person, invoice_id: int) -> Invoice | None:
    """The invoice ``invoice_id`` if ``person`` is its recipient (named, person-filtered
    look-up across clubs, as Min side's); None otherwise."""
    with scopes_disabled():
        return (
            Invoice.objects.select_related("club").filter(pk=invoice_id, recipient=person).first()
        )


def card_payment_for(person: Person, token: str) -> CardPayment | None:
    """A card payment by its token, if ``person`` is its invoice's recipient."""
    with scopes_disabled():
        return (
            CardPayment.objects.select_related("club", "invoice", "payment")
            .filter(token=token, invoice__recipient=person)
            .first()
        )


def payable_amount(invoice: Invoice):
    """What can be paid by card on ``invoice`` now; raises ``BillingError`` saying why
    not (the club takes no card payments, the invoice is paid or credited)."""
    if not invoice.club.accepts_card:
        raise billing.BillingError(
            _(
                "%(club)s does not take card payments. Pay the invoice to the account "
                "number with the KID on the invoice."
            )
            % {"club": invoice.club.name}
        )
    if invoice.status == Invoice.Status.PAID:
        raise billing.BillingError(_("This invoice is paid already."))
    if invoice.status == Invoice.Status.CREDITED:
        raise billing.BillingError(_("This invoice has been credited: there is nothing to pay."))
    amount = billing.open_amount(invoice)
    if amount <= 0:
        raise billing.BillingError(_("There is nothing left to pay on this invoice."))
    return amount


def start_payment(
    invoice: Invoice,
    person: Person,
    request_base: str,
    *,
    return_path: str = "",
    cancel_path: str = "",
) -> str:
    """Start paying ``invoice`` by card for ``person`` (its recipient) and return the
    provider's payment page. ``request_base`` is the site's address (``https://host``)
    the provider sends the member back to: to ``payments:done`` and
    ``payments:cancelled``, or to ``return_path`` and ``cancel_path`` (with ``{token}``
    for the payment's token) when the page that started it has its own (registration,
    R-REG-7 (iii)); those pages end in ``refresh_status`` and ``cancel_by_return`` too.
    Raises ``BillingError``."""
    if invoice.recipient_id != person.pk:
        raise billing.BillingError(_("Only the recipient of an invoice can pay it here."))
    provider = get_provider()
    base = request_base.rstrip("/")
    with scope(club=invoice.club_id), transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("club").get(pk=invoice.pk)
        amount = payable_amount(invoice)
        lifetime = timedelta(minutes=settings.PAYMENT_SESSION_MINUTES)
        live = (
            CardPayment.objects.filter(
                invoice=invoice,
                provider=provider.name,
                status=CardPayment.Status.STARTED,
                amount=amount,
                created_at__gt=timezone.now() - lifetime + REUSE_MARGIN,
            )
            .exclude(redirect_url="")
            .first()
        )
        if live is not None:
            return live.redirect_url
        card = CardPayment(
            club=invoice.club,
            invoice=invoice,
            provider=provider.name,
            amount=amount,
            started_by=person,
        )
        done = return_path.replace("{token}", card.token)
        cancelled = cancel_path.replace("{token}", card.token)
        card.redirect_url = provider.start(
            card,
            base + (done or reverse("payments:done", args=[card.token])),
            base + (cancelled or reverse("payments:cancelled", args=[card.token])),
        )
        card.save()
    return card.redirect_url


def handle_callback(provider: PaymentProvider, request) -> CardPayment | None:
    """A provider's callback: verified (``InvalidCallback`` if not), then applied."""
    event = provider.verify_callback(request)
    return apply_event(provider.name, event) if event is not None else None


def apply_event(provider_name: str, event: ProviderEvent) -> CardPayment | None:
    """Bring the card payment with ``event.reference`` to what the provider says, once.
    None when no payment of ours has that reference (logged; the provider is answered
    so it stops sending)."""
    with scopes_disabled():
        card = (
            CardPayment.objects.select_related("club")
            .filter(provider=provider_name, provider_reference=event.reference)
            .first()
        )
    if card is None:
        logger.warning("%s callback for unknown reference %s", provider_name, event.reference)
        return None
    if event.token and event.token != card.token:
        raise InvalidCallback(f"reference {event.reference} does not belong to that token")
    now = timezone.now()
    with scope(club=card.club), transaction.atomic():
        card = CardPayment.objects.select_for_update().select_related("invoice").get(pk=card.pk)
        if card.status == CardPayment.Status.PAID:
            return card
        if event.status == CardPayment.Status.PAID:
            _record(card, event, now)
        elif card.status == CardPayment.Status.STARTED:
            card.status, card.finished_at = event.status, now
            card.save(update_fields=["status", "finished_at"])
            _send_if_made_for_card(card.invoice)
            billing.mark_prepaid(card.invoice)
    return card


def _send_if_made_for_card(invoice: Invoice) -> None:
    """An invoice made to be paid by card at once (``billing.services.bill_now``), not
    sent yet, whose payment did not go through: e-mail it, as PrePaid (R-REG-7 (iii),
    R-BIL-8), once the transaction commits (PDF on the pdf queue; sent once)."""
    if invoice.payment_method != InvoicePaymentMethod.CARD or invoice.sent_at is not None:
        return
    transaction.on_commit(lambda: issue_invoices.delay([invoice.pk], True))


def _record(card: CardPayment, event: ProviderEvent, now) -> None:
    amount = card.amount if event.amount is None else event.amount
    if amount != card.amount:
        logger.warning(
            "Card payment %s: asked for %s, the provider charged %s", card.pk, card.amount, amount
        )
    payment, _created = billing.record_payment(
        card.invoice,
        club=card.club,
        amount=amount,
        method=Payment.Method.CARD,
        paid_on=timezone.localdate(event.occurred_at or now),
        provider=card.provider,
        reference=card.provider_reference,
    )
    card.status, card.payment, card.finished_at = CardPayment.Status.PAID, payment, now
    card.save(update_fields=["status", "payment", "finished_at"])


def refresh_status(card: CardPayment) -> CardPayment:
    """The member is back: if the callback has not come yet, ask the provider."""
    if card.status != CardPayment.Status.STARTED:
        return card
    try:
        event = _provider(card).fetch_status(card)
    except (billing.BillingError, InvalidCallback, ImproperlyConfigured) as exc:
        logger.warning("Card payment %s: status not available: %s", card.pk, exc)
        return card
    if event is None:
        return card
    return apply_event(card.provider, event) or card


def cancel_by_return(card: CardPayment) -> CardPayment:
    """The member came back through the cancel address: close the session at the
    provider and record how it ended. If the provider can't be reached the payment is
    marked cancelled here all the same; a payment made after all still counts."""
    if card.status != CardPayment.Status.STARTED:
        return card
    try:
        event = _provider(card).cancel(card)
    except (billing.BillingError, InvalidCallback, ImproperlyConfigured) as exc:
        logger.warning("Card payment %s: not cancelled at the provider: %s", card.pk, exc)
        event = ProviderEvent(card.provider_reference, CardPayment.Status.CANCELLED)
    return apply_event(card.provider, event) or card


def _provider(card: CardPayment) -> PaymentProvider:
    return get_provider(card.provider)
