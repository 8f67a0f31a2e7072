"""The bookkeeping export (issue 8 point 6, R-BIL-12): a journal of the period's vouchers
with account numbers, one posting per row (date, voucher, account, debit, credit, text,
KID or number), every voucher balanced.

Accounts come from the club's ``BillingSettings`` (receivables, bank, default income) and
each fee's own income account (``Fee.account_number``). Two accounts have no setting and
are constants here, from the Norwegian standard chart of accounts (NS 4102):

* ``VAT_ACCOUNT`` 2700, output VAT: the VAT part of a line with a VAT rate above 0.
* ``UNPLACED_ACCOUNT`` 2900, other short-term debt: money received that matched no
  invoice, until the admin places it on one (then a voucher moves it to receivables).

Vouchers: an invoice debits receivables with its total and credits income per account
(net of VAT) and VAT; a credit note does the reverse, shared out over the invoice's
accounts in proportion (a full credit note reverses the invoice exactly); a payment
debits the bank and credits receivables (or the suspense account when it matched
nothing); a refund does the reverse. A reminder fee debits receivables and credits the
club's reminder fee account; fees withdrawn with an invoice credited in full do the
reverse.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import pricing
from billing.accounting import ZERO, billing_settings, fee_withdrawals, fees_charged
from billing.models import CreditNote, Invoice, InvoiceLine, Payment

VAT_ACCOUNT = "2700"
UNPLACED_ACCOUNT = "2900"


@dataclass
class Voucher:
    day: date
    number: str
    text: str
    ref: str
    postings: list = field(default_factory=list)  # (account, debit, credit)

    def debit(self, account: str, amount: Decimal) -> None:
        self._post(account, amount)

    def credit(self, account: str, amount: Decimal) -> None:
        self._post(account, -amount)

    def _post(self, account: str, amount: Decimal) -> None:
        if amount > 0:
            self.postings.append((account, amount, ZERO))
        elif amount < 0:
            self.postings.append((account, ZERO, -amount))

    @property
    def balanced(self) -> bool:
        return sum(p[1] for p in self.postings) == sum(p[2] for p in self.postings)


def invoice_split(invoice: Invoice, income_account: str) -> dict[str, Decimal]:
    """The invoice's total by account it is income (or VAT) on, summing to the total."""
    split = defaultdict(lambda: ZERO)
    for line in invoice.lines.all():
        vat = ZERO
        if line.vat_rate > 0:
            vat = pricing.money(line.amount * line.vat_rate / (100 + line.vat_rate))
            split[VAT_ACCOUNT] += vat
        account = (line.fee.account_number if line.fee else "") or income_account
        split[account] += line.amount - vat
    rest = invoice.total - sum(split.values(), ZERO)
    if rest:  # an invoice without lines, or lines that do not add up: the default account
        split[income_account] += rest
    return dict(split)


def share(split: dict[str, Decimal], total: Decimal, amount: Decimal) -> dict[str, Decimal]:
    """``amount`` of an invoice of ``total`` shared over its ``split`` in proportion, to
    the øre; the rounding difference goes to the largest part."""
    if amount == total or not total:
        return dict(split)
    shared = {acc: pricing.money(part * amount / total) for acc, part in split.items()}
    largest = max(shared, key=lambda acc: abs(shared[acc]))
    shared[largest] += amount - sum(shared.values(), ZERO)
    return shared


def vouchers(club, start: date, end: date) -> list[Voucher]:
    """The period's vouchers in date order (within a day: invoices, credit notes, then
    payments)."""
    accounts = billing_settings(club)
    receivables, bank = accounts.receivables_account, accounts.bank_account_ledger
    lines = Prefetch("lines", InvoiceLine.objects.select_related("fee").order_by("position"))
    out = []

    invoices = Invoice.objects.filter(club=club, issue_date__range=(start, end))
    for inv in invoices.prefetch_related(lines).order_by("number").iterator(chunk_size=500):
        v = Voucher(inv.issue_date, f"F{inv.number}", _("Invoice %s") % inv.number, inv.kid)
        v.text = f"{v.text} {inv.recipient_name}"
        v.debit(receivables, inv.total)
        for account, amount in invoice_split(inv, accounts.income_account).items():
            v.credit(account, amount)
        out.append(v)

    notes = CreditNote.objects.filter(club=club, issue_date__range=(start, end))
    notes = notes.select_related("invoice").prefetch_related(
        Prefetch("invoice__lines", InvoiceLine.objects.select_related("fee"))
    )
    for note in notes.order_by("number").iterator(chunk_size=500):
        inv = note.invoice
        text = _("Credit note %(note)s for invoice %(invoice)s") % {
            "note": note.number,
            "invoice": inv.number,
        }
        v = Voucher(note.issue_date, f"K{note.number}", text, inv.kid)
        split = invoice_split(inv, accounts.income_account)
        for account, amount in share(split, inv.total, note.amount).items():
            v.debit(account, amount)
        v.credit(receivables, note.amount)
        out.append(v)

    payments = Payment.objects.filter(club=club).select_related("invoice")
    for pay in payments.filter(paid_on__range=(start, end)).order_by("paid_on", "pk"):
        placed_later = pay.assigned_at is not None
        target = receivables if pay.invoice_id and not placed_later else UNPLACED_ACCOUNT
        prefix = "R" if pay.kind == Payment.Kind.REFUND else "B"
        text = pay.get_kind_display() if target == receivables else _("Payment not placed")
        v = Voucher(pay.paid_on, f"{prefix}{pay.pk}", text, pay.kid)
        v.debit(bank, pay.amount)  # a refund is negative: bank credited
        v.credit(target, pay.amount)
        out.append(v)
    for pay in payments.filter(assigned_at__isnull=False, invoice__isnull=False):
        placed_on = timezone.localdate(pay.assigned_at)
        if start <= placed_on <= end:
            text = _("Payment placed on invoice %s") % pay.invoice.number
            v = Voucher(placed_on, f"P{pay.pk}", text, pay.invoice.kid)
            v.debit(UNPLACED_ACCOUNT, pay.amount)
            v.credit(receivables, pay.amount)
            out.append(v)
    fee_account = accounts.reminder_fee_account
    for rem in fees_charged(club, start, end).select_related("invoice").order_by("pk"):
        text = _("Reminder fee, invoice %s") % rem.invoice.number
        v = Voucher(rem.run_date, f"G{rem.pk}", text, rem.invoice.kid)
        v.debit(receivables, rem.fee)
        v.credit(fee_account, rem.fee)
        out.append(v)
    for inv, day, fees in fee_withdrawals(club, start, end):
        text = _("Reminder fees withdrawn, invoice %s") % inv.number
        v = Voucher(day, f"W{inv.number}", text, inv.kid)
        v.debit(fee_account, fees)
        v.credit(receivables, fees)
        out.append(v)
    out.sort(key=lambda v: (v.day, "FKGWBRP".index(v.number[0]), v.number))
    return out


def journal_columns() -> list[str]:
    return [_("Date"), _("Voucher"), _("Account"), _("Debit"), _("Credit"), _("Text"), _("KID")]


def journal_rows(club, start: date, end: date) -> Iterator[list]:
    for v in vouchers(club, start, end):
        for account, debit, credit in v.postings:
            yield [v.day, v.number, account, debit or None, credit or None, v.text, v.ref]
