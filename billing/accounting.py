"""The accountant's exports (issue 8 point 6, R-BIL-12) and the billing overview's figures.

For a period (both days included): every invoice, credit note, payment and refund of the
period as one list (CSV or XLSX), and the reconciliation of the club's receivables:

    open at the start + invoiced − credited − paid = open at the end

so that for a club with nothing before the period, ``invoiced − credited = paid + open``
to the øre. "Open" is each invoice's total less its credit notes and its payments net of
refunds, counted as it stood on the day; an overpaid invoice counts negative (money owed
back to the payer) and is shown as such. A payment that matched no invoice is outside the
receivables (the journal books it to a suspense account, ``billing.journal``) until the
admin places it on an invoice: it is paid on that invoice from the day it was placed.

Reminder fees (``billing.reminders``, R-BIL-10) are owed on top of the invoice: charged on
the reminder's day, and withdrawn with the invoice when it is credited in full (the day of
its last credit note). So in full: open at the start + invoiced + reminder fees −
credited − paid = open at the end, where "open" is ``billing.reminders.amount_owed``.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Max, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils.translation import gettext as _

from billing import queries
from billing.models import BillingSettings, CreditNote, Invoice, Payment, Reminder
from billing.pricing import money

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
MAX_DAYS = 366 * 5  # the longest period one export covers


def billing_settings(club) -> BillingSettings:
    """The club's billing settings, made with their defaults when first needed."""
    found, _created = BillingSettings.objects.get_or_create(club=club)
    return found


def booked_payments(club):
    """Payments on invoices, each with ``booked_on``: the day it reached the invoice (the
    day paid, or the day the admin placed a payment that matched nothing)."""
    return Payment.objects.filter(club=club, invoice__isnull=False).annotate(
        booked_on=Coalesce(TruncDate("assigned_at"), F("paid_on"))
    )


def _sum(queryset, field: str = "amount") -> Decimal:
    """The sum in øre (SQLite, ``make run``'s database, sums decimals as floating point:
    12069.46000000010 is 12069.46)."""
    return money(queryset.order_by().aggregate(s=Sum(field))["s"] or ZERO)


def _sum_before(queryset, day_field: str, day: date, amount: str = "amount"):
    rows = (
        queryset.filter(invoice=OuterRef("pk"), **{f"{day_field}__lte": day})
        .order_by()
        .values("invoice")
        .annotate(s=Sum(amount))
        .values("s")
    )
    return Coalesce(Subquery(rows), queries.ZERO)


def fees_charged(club, start: date, end: date):
    return Reminder.objects.filter(club=club, fee__gt=0, run_date__range=(start, end))


def fee_withdrawals(club, start: date, end: date) -> list[tuple[Invoice, date, Decimal]]:
    """(invoice, day, fees) for each invoice credited in full in the period that had
    reminder fees: they go with it, on the day of its last credit note."""
    fees = (
        Reminder.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(s=Sum("fee"))
        .values("s")
    )
    invoices = (
        Invoice.objects.filter(club=club, status=Invoice.Status.CREDITED)
        .annotate(fees=Subquery(fees), credited_on=Max("credit_notes__issue_date"))
        .filter(fees__gt=0, credited_on__range=(start, end))
        .order_by("credited_on", "number")
    )
    return [(inv, inv.credited_on, inv.fees) for inv in invoices]


def balances(club, day: date) -> tuple[Decimal, Decimal]:
    """(open, of which overpaid) over the club's invoices as they stood at the end of
    ``day``: each invoice issued by then, less its credit notes and booked payments, plus
    its reminder fees unless it was credited in full by then."""
    invoices = (
        Invoice.objects.filter(club=club, issue_date__lte=day)
        .annotate(
            credited_then=_sum_before(CreditNote.objects.all(), "issue_date", day),
            paid_then=_sum_before(booked_payments(club), "booked_on", day),
            fees_then=Case(
                When(credited_then__gte=F("total"), then=queries.ZERO),
                default=_sum_before(Reminder.objects.all(), "run_date", day, "fee"),
            ),
        )
        .annotate(rest=F("total") + F("fees_then") - F("credited_then") - F("paid_then"))
    )
    sums = invoices.order_by().aggregate(
        open=Coalesce(Sum("rest"), queries.ZERO),
        overpaid=Coalesce(Sum("rest", filter=Q(rest__lt=0)), queries.ZERO),
    )
    return money(sums["open"]), money(sums["overpaid"])


@dataclass
class Reconciliation:
    start: date
    end: date
    opening: Decimal
    invoiced: Decimal
    fees: Decimal  # reminder fees charged, less those withdrawn with a credited invoice
    credited: Decimal
    paid: Decimal  # booked on invoices in the period, net of refunds
    closing: Decimal  # counted invoice by invoice, not derived from the figures above
    overpaid: Decimal  # of ``closing``: invoices paid beyond what they ask
    unplaced: Decimal  # received in the period and not on any invoice
    counts: dict = field(default_factory=dict)

    @property
    def expected_closing(self) -> Decimal:
        return self.opening + self.invoiced + self.fees - self.credited - self.paid

    @property
    def balances(self) -> bool:
        return self.expected_closing == self.closing

    def rows(self) -> list[tuple[str, Decimal]]:
        return [
            (_("Open at the start of the period"), self.opening),
            (_("Invoiced"), self.invoiced),
            (_("Reminder fees, less fees withdrawn"), self.fees),
            (_("Credited"), -self.credited),
            (_("Paid on invoices, net of refunds"), -self.paid),
            (_("Open at the end of the period"), self.closing),
            (_("of which overpaid (owed back to payers)"), self.overpaid),
            (_("Payments not placed on an invoice (suspense)"), self.unplaced),
        ]


def reconcile(club, start: date, end: date) -> Reconciliation:
    invoices = Invoice.objects.filter(club=club, issue_date__range=(start, end))
    notes = CreditNote.objects.filter(club=club, issue_date__range=(start, end))
    paid = booked_payments(club).filter(booked_on__range=(start, end))
    unplaced = Payment.objects.filter(club=club, paid_on__range=(start, end)).filter(
        Q(invoice__isnull=True) | Q(assigned_at__date__gt=end)
    )
    charged = fees_charged(club, start, end)
    withdrawn = sum((fees for _inv, _day, fees in fee_withdrawals(club, start, end)), ZERO)
    opening, _overpaid = balances(club, start - timedelta(days=1))
    closing, overpaid = balances(club, end)
    return Reconciliation(
        start=start,
        end=end,
        opening=opening,
        invoiced=_sum(invoices, "total"),
        fees=_sum(charged, "fee") - money(withdrawn),
        credited=_sum(notes),
        paid=_sum(paid),
        closing=closing,
        overpaid=overpaid,
        unplaced=_sum(unplaced),
        counts={
            "invoices": invoices.count(),
            "credit_notes": notes.count(),
            "payments": paid.filter(kind=Payment.Kind.PAYMENT).count(),
            "refunds": paid.filter(kind=Payment.Kind.REFUND).count(),
            "unplaced": unplaced.count(),
            "reminder_fees": charged.count(),
        },
    )


# --- the list of documents ----------------------------------------------------------


def document_columns() -> list[str]:
    return [
        _("Kind"),
        _("Number"),
        _("Date"),
        _("Due date"),
        _("Invoice"),
        _("KID"),
        _("Recipient"),
        _("Amount"),
        _("of which VAT"),
        _("Status"),
        _("Method"),
        _("Reference"),
    ]


def document_rows(club, start: date, end: date, recon: Reconciliation | None = None):
    """One row per invoice, credit note, payment and refund of the period (amounts as the
    receivables see them: invoices plus, credit notes and payments minus), then the
    reconciliation's rows. Values are Python dates and Decimals: the writer formats."""
    invoices = Invoice.objects.filter(club=club, issue_date__range=(start, end))
    for inv in invoices.order_by("number").iterator(chunk_size=2000):
        yield [
            _("Invoice"),
            inv.number,
            inv.issue_date,
            inv.due_date,
            inv.number,
            inv.kid,
            inv.recipient_name,
            inv.total,
            inv.vat_total,
            inv.get_status_display(),
            inv.get_payment_method_display(),
            "",
        ]
    notes = CreditNote.objects.filter(club=club, issue_date__range=(start, end))
    for note in notes.select_related("invoice").order_by("number").iterator(chunk_size=2000):
        inv = note.invoice
        yield [
            _("Credit note"),
            note.number,
            note.issue_date,
            None,
            inv.number,
            inv.kid,
            inv.recipient_name,
            -note.amount,
            None,
            _("Full credit") if note.is_full else _("Partial credit"),
            "",
            note.reason,
        ]
    payments = Payment.objects.filter(club=club, paid_on__range=(start, end))
    for pay in payments.select_related("invoice").order_by("paid_on", "pk").iterator(2000):
        inv = pay.invoice
        kind = pay.get_kind_display() if inv else _("Payment not placed")
        yield [
            kind,
            pay.pk,
            pay.paid_on,
            None,
            inv.number if inv else None,
            pay.kid,
            inv.recipient_name if inv else "",
            -pay.amount,
            None,
            "",
            pay.get_method_display(),
            pay.reference,
        ]
    for rem in fees_charged(club, start, end).select_related("invoice").order_by("run_date", "pk"):
        inv = rem.invoice
        yield [
            _("Reminder fee"),
            rem.level,
            rem.run_date,
            rem.new_due_date,
            inv.number,
            inv.kid,
            inv.recipient_name,
            rem.fee,
            None,
            "",
            "",
            "",
        ]
    for inv, day, fees in fee_withdrawals(club, start, end):
        kind = _("Reminder fees withdrawn")
        row = [kind, None, day, None, inv.number, inv.kid, inv.recipient_name, -fees]
        yield [*row, None, "", "", ""]
    recon = recon or reconcile(club, start, end)
    yield [None] * 12
    for label, amount in recon.rows():
        yield [_("Sum"), None, None, None, None, None, label, amount, None, "", "", ""]


# --- the overview -------------------------------------------------------------------


@dataclass
class Month:
    month: date
    invoiced: Decimal = ZERO
    credited: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.invoiced - self.credited


def months(club, last: date, count: int = 12) -> list[Month]:
    """Invoiced, credited and paid (net of refunds, on invoices) per month, the ``count``
    months up to ``last``'s, oldest first."""
    first = last.replace(day=1)
    for _i in range(count - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    rows = {}
    day = first
    while day <= last:
        rows[day] = Month(day)
        day = (day + timedelta(days=32)).replace(day=1)

    def per_month(queryset, day_field, attr, value="amount"):
        grouped = (
            queryset.filter(**{f"{day_field}__range": (first, last)})
            .annotate(m=TruncMonth(day_field))
            .order_by()
            .values("m")
            .annotate(s=Sum(value))
        )
        for row in grouped:
            setattr(rows[row["m"]], attr, row["s"] or ZERO)

    per_month(Invoice.objects.filter(club=club), "issue_date", "invoiced", "total")
    per_month(CreditNote.objects.filter(club=club), "issue_date", "credited")
    per_month(booked_payments(club), "booked_on", "paid")
    return list(rows.values())
