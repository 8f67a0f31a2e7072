"""Sending invoices and credit notes (issue 6 point 6, R-BIL-6): an e-mail in the club's
voice with the stored PDF attached, through the outbox (``comms.services.queue_email``).

* Once: the outbox key is per document (``billing:invoice:<id>``), so sending twice, or
  a task run twice, is one message. A deliberate "send again" passes its own ``key``.
* The PDF is stored first (``billing.pdf.store_invoice_pdf``, rendered only if it is
  not stored yet); the message keeps its storage name, and the file is read when the
  e-mail goes.
* The message and ``sent_at`` are written in one transaction, under the invoice's row
  lock; the e-mail goes out after it commits.
* A recipient without e-mail gets nothing here: the invoice waits for the post
  (``unsent_for_post``, printed as one merged PDF, then ``mark_posted``), and so does a
  credit note of an invoice that went by post (``queries.credit_notes_for_post``).
* The sender is the club: comms sends from the club's name with its e-mail as reply-to.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope

from billing import queries, services
from billing.models import CreditNote, Invoice
from billing.pdf import store_credit_note_pdf, store_invoice_pdf
from comms.models import OutboundMessage
from comms.rendering import absolute_url
from comms.services import Attachment, queue_email
from members.validators import format_bank_account

PDF = "application/pdf"


def invoice_key(invoice: Invoice) -> str:
    return f"billing:invoice:{invoice.pk}"


def credit_note_key(note: CreditNote) -> str:
    return f"billing:credit-note:{note.pk}"


def send_invoice(invoice: Invoice, *, key: str | None = None) -> OutboundMessage | None:
    """E-mail the invoice with its PDF to its recipient and mark it sent. None when the
    recipient has no e-mail (the invoice waits for the post). Sending again with the
    same key (default: one per invoice) gives the first message back."""
    if not invoice.recipient_email:
        return None
    store_invoice_pdf(invoice)

    def message(locked: Invoice) -> OutboundMessage:
        club = locked.club
        return queue_email(
            club=club,
            person=locked.recipient,
            to_address=locked.recipient_email,
            template="billing/email/invoice",
            context={
                "invoice": locked,
                "account": format_bank_account(locked.seller_account),
                "pay_by_card": club.accepts_card and locked.status in queries.OPEN_STATUSES,
                "min_side_url": absolute_url(reverse("minside:index")),
            },
            idempotency_key=key or invoice_key(locked),
            attachments=[_pdf(locked, _("invoice-%(number)s.pdf"))],
        )

    return _send_locked(invoice, ("club", "recipient"), message)


def send_credit_note(note: CreditNote, *, key: str | None = None) -> OutboundMessage | None:
    """E-mail the credit note with its PDF to the recipient of the invoice it credits,
    and mark it sent; None when they have no e-mail (it waits for the post if the
    invoice went by post). Once per credit note (or per ``key``)."""
    if not note.invoice.recipient_email:
        return None
    store_credit_note_pdf(note)

    def message(locked: CreditNote) -> OutboundMessage:
        invoice = locked.invoice
        return queue_email(
            club=locked.club,
            person=invoice.recipient,
            to_address=invoice.recipient_email,
            template="billing/email/credit_note",
            context={
                "note": locked,
                "invoice": invoice,
                "remaining": services.open_amount(invoice)
                if invoice.status in queries.OPEN_STATUSES
                else None,
            },
            idempotency_key=key or credit_note_key(locked),
            attachments=[_pdf(locked, _("credit-note-%(number)s.pdf"))],
        )

    return _send_locked(note, ("club", "invoice__recipient"), message)


def _send_locked(document, related: tuple[str, ...], message) -> OutboundMessage:
    """Under the document's row lock, in one transaction: its message (``message`` of
    the locked row) and ``sent_at``, set once. The caller's object gets both values."""
    with scope(club=document.club_id), transaction.atomic():
        locked = (
            type(document)
            .objects.select_for_update(of=("self",))
            .select_related(*related)
            .get(pk=document.pk)
        )
        sent = message(locked)
        if locked.sent_at is None:
            locked.sent_at = timezone.now()
            locked.save(update_fields=["sent_at"])
    document.sent_at, document.pdf.name = locked.sent_at, locked.pdf.name
    return sent


def _pdf(document, name: str) -> Attachment:
    """The stored PDF as an attachment, named in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        filename = name % {"number": document.number}
    return Attachment(filename=filename, content_type=PDF, storage_name=document.pdf.name)


def unsent_for_post(club, run=None) -> QuerySet:
    """Open invoices not sent whose recipient has no e-mail, by number: to print and
    post (one rule with the pages' list, ``billing.queries.for_post``)."""
    return queries.for_post(club, run)


def mark_posted(documents) -> int:
    """Record that these invoices or credit notes were printed for the post: they leave
    the list. One marked already keeps its first time. Returns how many were marked."""
    marked = 0
    for model in (Invoice, CreditNote):
        ids = [d.pk for d in documents if isinstance(d, model)]
        if ids:
            marked += model.objects.filter(pk__in=ids, sent_at__isnull=True).update(
                sent_at=timezone.now()
            )
    return marked
