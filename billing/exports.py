"""The accountant's list of invoices and credit notes (issue 6 point 11, R-BIL-12):
``export_invoices --club SLUG --format csv|xlsx FILE``. One row per invoice and per credit
note, in number order; amounts as plain decimals (credit notes negative), dates ISO."""

from collections.abc import Iterator

from billing.models import CreditNote, Invoice

COLUMNS = [
    "number",
    "kind",
    "credits",
    "person_id",
    "recipient",
    "kid",
    "issue_date",
    "due_date",
    "amount",
    "status",
    "payment_method",
]


def _iso(day) -> str:
    return day.isoformat() if day else ""


def invoice_rows(club) -> Iterator[list]:
    invoices = Invoice.objects.filter(club=club).select_related("recipient").order_by("number")
    for inv in invoices.iterator(chunk_size=2000):
        yield [
            inv.number,
            "invoice",
            "",
            str(inv.recipient.public_id),
            inv.recipient_name,
            inv.kid,
            _iso(inv.issue_date),
            _iso(inv.due_date),
            f"{inv.total:.2f}",
            inv.status,
            inv.payment_method,
        ]
    notes = (
        CreditNote.objects.filter(club=club).select_related("invoice__recipient").order_by("number")
    )
    for note in notes.iterator(chunk_size=2000):
        inv = note.invoice
        yield [
            note.number,
            "credit_note",
            inv.number,
            str(inv.recipient.public_id),
            inv.recipient_name,
            inv.kid,
            _iso(note.issue_date),
            "",
            f"{-note.amount:.2f}",
            "full" if note.is_full else "partial",
            inv.payment_method,
        ]
