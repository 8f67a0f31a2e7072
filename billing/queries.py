"""Read-only look-ups of billing for the pages (R-BIL-4, R-BIL-5, R-ACT-6): open amounts
in one query, the invoices and agreements a member card or Min side shows, and the
invoices that go by post. The rules that change anything are in ``billing.services``.

Club pages run inside the club's scope (the middleware) and filter by club as well. Min
side runs outside any scope: its functions lift the scope for rows filtered by the
persons Min side's views have checked (the user and their children), never wider.
"""

from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django_scopes import scopes_disabled

from billing.models import Agreement, CreditNote, Fee, Invoice, InvoiceLine, Payment
from members.models import Membership, Person

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=12, decimal_places=2))
OPEN_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTLY_CREDITED)


def _sum_of(model):
    rows = (
        model.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return Coalesce(Subquery(rows), ZERO)


def with_amounts(invoices: QuerySet) -> QuerySet:
    """Annotate ``credited``, ``paid`` (payments less refunds) and ``open_amount`` (what
    is still to pay; for a paid or fully credited invoice 0, whatever was refunded, or
    negative when more was paid than it asked: an overpayment, e.g. by OCR Giro)."""
    invoices = invoices.annotate(credited=_sum_of(CreditNote), paid=_sum_of(Payment))
    left = F("total") - F("credited") - F("paid")
    return invoices.annotate(
        open_amount=Case(
            When(status__in=OPEN_STATUSES, then=left),
            default=Least(left, ZERO),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        )
    )


def overdue(invoices: QuerySet, today=None) -> QuerySet:
    """Open invoices past their due date (annotated with ``with_amounts``)."""
    today = today or timezone.localdate()
    return invoices.filter(status__in=OPEN_STATUSES, due_date__lt=today, open_amount__gt=0)


def totals(invoices: QuerySet) -> dict:
    """Count, invoiced and still open of an annotated invoice list."""
    sums = invoices.order_by().aggregate(total=Sum("total"), open=Sum("open_amount"))
    return {
        "count": invoices.count(),
        "total": sums["total"] or Decimal("0.00"),
        "open": sums["open"] or Decimal("0.00"),
    }


def fee_in_use(fee: Fee) -> bool:
    """A fee with agreements or invoice lines keeps its kind and period."""
    if not fee.pk:
        return False
    return (
        Agreement.objects.filter(fee=fee).exists()
        or InvoiceLine.objects.filter(club=fee.club_id, fee=fee).exists()
    )


def memberships_by_person(club, person_ids) -> dict[int, int]:
    """``{person_id: membership_id}`` of those persons who are members of ``club`` (for
    links to the member card)."""
    rows = Membership.objects.filter(club=club, person_id__in=set(person_ids))
    return dict(rows.order_by("person_id", "-pk").values_list("person_id", "pk"))


# --- member card ---------------------------------------------------------------------

CARD_LIMIT = 20


def member_invoices(club, person: Person) -> QuerySet:
    """The club's invoices the member receives or is on a line of, newest first."""
    on_line = InvoiceLine.objects.filter(invoice=OuterRef("pk"), person=person)
    invoices = Invoice.objects.filter(club=club).filter(Q(recipient=person) | Exists(on_line))
    return with_amounts(invoices).order_by("-issue_date", "-number")


def member_agreements(club, person: Person) -> QuerySet:
    """The member's agreements in the club: live ones first, then the ended ones."""
    return (
        Agreement.objects.filter(club=club, person=person)
        .select_related("fee", "payer")
        .order_by(F("cancelled_at").desc(nulls_first=True), "fee__name", "pk")
    )


def agreements_paid_for_others(club, person: Person) -> QuerySet:
    """Live agreements of other members that ``person`` receives the invoice for."""
    return (
        Agreement.objects.filter(club=club, payer=person, cancelled_at__isnull=True)
        .exclude(person=person)
        .select_related("fee", "person")
        .order_by("person__first_name", "fee__name")
    )


# --- for post ------------------------------------------------------------------------


def for_post(club, run=None) -> QuerySet:
    """Open invoices that were not sent and whose recipient has no e-mail: printed and
    posted (issue 6 point 6). ``run`` narrows the list to one invoice run."""
    invoices = Invoice.objects.filter(
        club=club, recipient_email="", sent_at__isnull=True, status__in=OPEN_STATUSES
    )
    if run is not None:
        invoices = invoices.filter(run=run)
    return invoices.order_by("number")


def credit_notes_for_post(club) -> QuerySet:
    """Credit notes not sent of invoices that went by post (their recipient has no
    e-mail): printed and posted like the invoice, by number."""
    return (
        CreditNote.objects.filter(
            club=club,
            sent_at__isnull=True,
            invoice__recipient_email="",
            invoice__sent_at__isnull=False,
        )
        .select_related("invoice")
        .order_by("number")
    )


# --- Min side ------------------------------------------------------------------------
# ``person`` is the user's own person, or one of their children (checked by Min side's
# views); ``own`` is always the user's own person.

MIN_SIDE_LIMIT = 20


def min_side_invoices(own: Person, person: Person) -> list[Invoice]:
    """For the user: the invoices they receive. For a child: the invoices the child
    receives, and the user's invoices with a line for the child. Across all clubs."""
    with scopes_disabled():
        if person.pk == own.pk:
            wanted = Q(recipient=own)
        else:
            on_line = InvoiceLine.objects.filter(invoice=OuterRef("pk"), person=person)
            wanted = Q(recipient=person) | (Q(recipient=own) & Exists(on_line))
        invoices = with_amounts(Invoice.objects.filter(wanted)).select_related("club")
        invoices = list(invoices.order_by("-issue_date", "-number")[:MIN_SIDE_LIMIT])
        notes = CreditNote.objects.filter(invoice__in=invoices).order_by("number")
        by_invoice: dict[int, list] = {}
        for note in notes:
            by_invoice.setdefault(note.invoice_id, []).append(note)
    for invoice in invoices:
        invoice.notes = by_invoice.get(invoice.pk, [])
    return invoices


def min_side_invoice(persons: list[Person], invoice_id: int) -> Invoice | None:
    """One invoice received by the user or one of their children; None otherwise."""
    with scopes_disabled():
        return (
            Invoice.objects.filter(pk=invoice_id, recipient__in=persons)
            .select_related("club")
            .first()
        )


def min_side_credit_note(persons: list[Person], credit_note_id: int) -> CreditNote | None:
    with scopes_disabled():
        return (
            CreditNote.objects.filter(pk=credit_note_id, invoice__recipient__in=persons)
            .select_related("club", "invoice")
            .first()
        )


def min_side_agreements(person: Person) -> list[Agreement]:
    """The person's agreements in every club, live ones first."""
    with scopes_disabled():
        return list(
            Agreement.objects.filter(person=person)
            .select_related("fee", "club", "payer")
            .order_by(F("cancelled_at").desc(nulls_first=True), "club__name", "fee__name")[
                :MIN_SIDE_LIMIT
            ]
        )


def min_side_agreement(persons: list[Person], agreement_id: int) -> Agreement | None:
    """One agreement of the user or of one of their children; None otherwise."""
    with scopes_disabled():
        return (
            Agreement.objects.filter(pk=agreement_id, person__in=persons)
            .select_related("fee", "club", "person")
            .first()
        )


def charges_after(agreement: Agreement, day) -> QuerySet:
    """Invoice lines of ``agreement`` for periods starting after ``day`` (billed before
    the agreement was cancelled back to that day: the admin may credit them)."""
    return (
        InvoiceLine.objects.filter(agreement=agreement, period_start__gt=day)
        .select_related("invoice")
        .order_by("period_start")
    )
