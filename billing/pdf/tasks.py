"""Celery tasks that render and store PDFs, on their own queue: every task named
``billing.pdf.*`` goes to ``PDF_QUEUE`` (``CELERY_TASK_ROUTES``), so PDF workers scale
on their own (DESIGN.md). Tasks take primary keys and are safe to run twice: a stored
PDF is kept, and an invoice already sent is not sent again."""

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django_scopes import scope, scopes_disabled

from billing.models import CreditNote, Invoice, InvoiceRun

from .services import store_credit_note_pdf, store_invoice_pdf

CHUNK = 100  # invoices per task


@shared_task(name="billing.pdf.issue_invoices", acks_late=True)
def issue_invoices(invoice_ids: list[int], send: bool) -> int:
    """Store each invoice's PDF and, with ``send``, send it (``billing.sending``: e-mail
    with the PDF attached, or the list for the post). Returns how many were stored."""
    with scopes_disabled():
        invoices = list(
            Invoice.objects.filter(pk__in=invoice_ids)
            .select_related("club")
            .prefetch_related("lines")
            .order_by("number")
        )
    for invoice in invoices:
        store_invoice_pdf(invoice)
        if send and invoice.sent_at is None:
            from billing import sending  # the sending module sits on top of this one

            with scope(club=invoice.club):
                sending.send_invoice(invoice)
    return len(invoices)


@shared_task(name="billing.pdf.issue_credit_note", acks_late=True)
def issue_credit_note(credit_note_id: int, send: bool) -> bool:
    """Store the credit note's PDF and, with ``send``, send it to the invoice's recipient."""
    with scopes_disabled():
        note = (
            CreditNote.objects.filter(pk=credit_note_id)
            .select_related("club", "invoice", "invoice__club")
            .first()
        )
    if note is None:
        return False
    store_credit_note_pdf(note)
    if send:
        from billing import sending

        with scope(club=note.club):
            sending.send_credit_note(note)
    return True


def queue_run_pdfs(run: InvoiceRun) -> int:
    """After an invoice run (``billing.services``): queue the PDFs of its invoices, in
    chunks, once the transaction commits, to be sent if the run sends. Invoices that an
    interrupted run made but never got a PDF go along (with that run's choice to send).
    Returns how many invoices were queued."""
    with scopes_disabled():
        rows = list(
            Invoice.objects.filter(club_id=run.club_id)
            .filter(Q(run=run) | Q(run__status=InvoiceRun.Status.FAILED, pdf=""))
            .order_by("number")
            .values_list("pk", "run__send")
        )
    chunks = []
    for send in (False, True):
        ids = [pk for pk, run_send in rows if bool(run_send) is send]
        chunks += [(ids[i : i + CHUNK], send) for i in range(0, len(ids), CHUNK)]

    def queue():
        for ids, send in chunks:
            issue_invoices.delay(ids, send)

    transaction.on_commit(queue)
    return len(rows)


def queue_credit_note_pdf(note: CreditNote) -> None:
    """After a credit note is made: its PDF, sent when the invoice it credits was sent."""
    send = note.invoice.sent_at is not None
    transaction.on_commit(lambda: issue_credit_note.delay(note.pk, send))
