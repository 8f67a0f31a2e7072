"""Invoice and credit note PDFs (R-BIL-6): rendered with WeasyPrint from one HTML
template and one print stylesheet, stored once at issue, merged for the post, and
made on the ``pdf`` Celery queue.

The public names: ``render_invoice_pdf``, ``render_credit_note_pdf``,
``store_invoice_pdf``, ``store_credit_note_pdf``, ``merged_pdf`` and the tasks
``issue_invoices`` and ``issue_credit_note``."""

from .documents import render_credit_note_pdf, render_invoice_pdf
from .services import merged_pdf, store_credit_note_pdf, store_invoice_pdf
from .tasks import issue_credit_note, issue_invoices

__all__ = [
    "issue_credit_note",
    "issue_invoices",
    "merged_pdf",
    "render_credit_note_pdf",
    "render_invoice_pdf",
    "store_credit_note_pdf",
    "store_invoice_pdf",
]
