"""Stored PDFs of invoices and credit notes (R-BIL-5, R-BIL-6, DESIGN.md "Money and
invoices"): rendered once at issue, kept in the ``pdf`` file field, and from then on
re-sent and printed as stored, never rendered again.

Two workers storing the same invoice at once: each renders, the first conditional
``UPDATE … WHERE pdf = ''`` wins, the other deletes its own file and takes the winner's.
No row lock is held while WeasyPrint works.
"""

import io
import secrets

from django.core.files.base import ContentFile
from django_scopes import scope

from billing.models import CreditNote, Invoice

from .documents import render_credit_note_pdf, render_invoice_pdf


def _store(obj, render, filename: str):
    if obj.pdf:  # as loaded: an object loaded before another worker stored it renders
        return obj  # once more, and the conditional update below keeps the first file
    with scope(club=obj.club_id):
        stored = type(obj).objects.filter(pk=obj.pk)
        field = obj.pdf.field
        # a random part: the name tells nothing and cannot be guessed
        name = field.generate_filename(obj, f"{filename}-{secrets.token_hex(8)}.pdf")
        name = field.storage.save(name, ContentFile(render(obj)))
        won = stored.filter(pdf="").update(pdf=name)
        if not won:
            field.storage.delete(name)
            name = stored.values_list("pdf", flat=True).get()
        obj.pdf.name = name
    return obj


def store_invoice_pdf(invoice: Invoice) -> Invoice:
    """Render the invoice's PDF and store it, unless it is stored already (idempotent,
    safe with two workers at once). Returns the invoice with ``pdf`` set."""
    return _store(invoice, render_invoice_pdf, f"{invoice.club_id}/invoice-{invoice.number}")


def store_credit_note_pdf(note: CreditNote) -> CreditNote:
    """The credit note's PDF, stored once (as ``store_invoice_pdf``)."""
    return _store(note, render_credit_note_pdf, f"{note.club_id}/credit-note-{note.number}")


def merged_pdf(documents) -> bytes:
    """One PDF of the invoices' or credit notes' stored PDFs, in the order given (missing
    ones are stored first): the documents of members without e-mail, printed for the
    post."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for document in documents:
        if isinstance(document, CreditNote):
            store_credit_note_pdf(document)
        else:
            store_invoice_pdf(document)
        with document.pdf.open("rb") as fh:
            writer.append(io.BytesIO(fh.read()))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
