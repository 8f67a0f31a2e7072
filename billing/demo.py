"""Billing's part of the demo clubs (``seed_demo``, through ``members.signals.demo_seeded``):
fees (a membership fee per category, a training fee for one group, a one-off product),
price rules (a youth age band, a family discount for siblings), households for the
families, agreements for the active members, and one finished invoice run of today with
PDFs: some invoices paid (one by card), one credited, the rest open. The clubs take card payment,
so a fresh ``make run`` shows a run, invoices, PDFs and a card payment end to end; the
demo parent (forelder-a@example.no) has an open invoice to pay on Min side.

Deterministic: no randomness; which invoices are paid or credited follows their numbers.
"""

from datetime import date
from decimal import Decimal

from django.db.models import Count
from django_scopes import scopes_disabled

from billing import services
from billing.models import Agreement, CreditNote, Fee, Invoice, Payment, Period, PriceRule
from members.models import Club, Household, Membership, MembershipCategory, Person

FEES = {
    "demo-a": {
        "membership": {
            "Ordinær": "900",
            "Barn 6–12": "500",
            "Ungdom": "650",
            "Familie": "1800",
            "Støttemedlem": "250",
        },
        "children": "Barn 6–12",
        "training": ("Troppsgym junior", "1200", Period.HALF_YEAR),
        "product": ("Klubbdrakt", "450"),
    },
    "demo-b": {
        "membership": {"Ordinær": "700", "Barn": "400", "Pensjonist": "350"},
        "children": "Barn",
        "training": ("Fotball G10", "1500", Period.YEAR),
        "product": ("Supporterskjerf", "250"),
    },
}
BUYERS = 3  # members who bought the product
PAID_EVERY = 3  # every third invoice is paid
FIRST_PDFS = 10  # invoices per club whose PDF is stored at once


def seed(clubs: dict[str, Club], *, today: date, parent: Person) -> None:
    """Billing data for the demo clubs (called once, inside ``seed_demo``'s transaction)."""
    with scopes_disabled():
        for slug, spec in FEES.items():
            club = clubs[slug]
            club.accepts_card = True
            club.save(update_fields=["accepts_card"])
            _households(club, spec["children"])
            product = _fees(club, spec)  # each fee reaches its active members at once
            _buyers(club, product)
            Agreement.objects.filter(club=club).update(next_billing_date=today)
            run = services.run_invoices(club, today, queue_pdfs=False)
            _settle(club, run, today, parent)
            _pdfs(club, parent)


def _fees(club: Club, spec: dict) -> Fee:
    """The club's fees and price rules; returns the product."""
    categories = {c.name: c for c in MembershipCategory.objects.filter(club=club)}
    for name, price in spec["membership"].items():
        fee = Fee.objects.create(
            club=club,
            name=f"Medlemskontingent {name.lower()}",
            kind=Fee.Kind.MEMBERSHIP,
            category=categories[name],
            price=Decimal(price),
            period=Period.YEAR,
        )
        if name == spec["children"]:
            PriceRule.objects.create(
                club=club,
                fee=fee,
                kind=PriceRule.Kind.FAMILY,
                name="Søskenmoderasjon 50 %",
                min_position=2,
                percent=Decimal("50"),
            )
    group_name, price, period = spec["training"]
    training = Fee.objects.create(
        club=club,
        name=f"Treningsavgift {group_name}",
        kind=Fee.Kind.TRAINING,
        group=club.groups.get(name=group_name),
        price=Decimal(price),
        period=period,
    )
    PriceRule.objects.create(
        club=club,
        fee=training,
        kind=PriceRule.Kind.AGE_BAND,
        name="Ungdom under 20 år −25 %",
        max_age=19,
        percent=Decimal("25"),
    )
    name, price = spec["product"]
    return Fee.objects.create(
        club=club, name=name, kind=Fee.Kind.PRODUCT, price=Decimal(price), period=Period.ONCE
    )


def _households(club: Club, children_category: str) -> None:
    """A household, paid by the guardian, for each guardian with two or more active
    children in the children's category (the family discount applies to the second)."""
    children = Membership.objects.filter(
        club=club, status=Membership.Status.ACTIVE, category__name=children_category
    )
    guardians = (
        Person.objects.filter(children__memberships__in=children)
        .annotate(n=Count("children", distinct=True))
        .filter(n__gte=2)
        .order_by("pk")
    )
    for guardian in guardians:
        home = Household.objects.create(club=club, name=f"Familien {guardian.last_name}")
        home.payer = guardian
        home.save(update_fields=["payer"])
        Membership.objects.filter(
            club=club, person__in=[guardian, *guardian.children.all()]
        ).update(household=home)


def _buyers(club: Club, product: Fee) -> None:
    """The first few adult members bought the product (a one-off agreement)."""
    active = Membership.objects.filter(club=club, status=Membership.Status.ACTIVE)
    adults = active.filter(person__guardians__isnull=True).select_related("person", "club")
    for membership in adults.order_by("pk")[:BUYERS]:
        services.create_agreement(membership, product, source=Agreement.Source.PURCHASE)


def _settle(club: Club, run, today: date, parent: Person) -> None:
    """Every third invoice paid (the first of them by card), the first other one
    credited in full; the demo parent's invoices stay open."""
    invoices = list(Invoice.objects.filter(run=run).exclude(recipient=parent).order_by("number"))
    for i, invoice in enumerate(invoices):
        if i % PAID_EVERY == 1:
            card = i == 1
            services.record_payment(
                invoice,
                club=club,
                amount=invoice.total,
                method=Payment.Method.CARD if card else Payment.Method.OCR,
                paid_on=today,
                provider="test" if card else "demo",
                reference=f"demo-{invoice.number}",
            )
    if len(invoices) > 2:
        services.credit_invoice(invoices[2], reason="Meldte seg ut før sesongstart", on=today)


def _pdfs(club: Club, parent: Person) -> None:
    """Stored PDFs, as at issue, for the invoices the demo shows first (the first few,
    the demo parent's, the credited one) and the credit note; the others are stored
    when first opened (``billing.views.documents``), which keeps ``seed_demo`` quick."""
    from billing import pdf  # WeasyPrint is loaded only when PDFs are made

    invoices = Invoice.objects.filter(club=club).select_related("club").order_by("number")
    shown = [
        *invoices[:FIRST_PDFS],
        *invoices.filter(recipient=parent),
        *invoices.filter(credit_notes__isnull=False),
    ]
    for invoice in {i.pk: i for i in shown}.values():
        pdf.store_invoice_pdf(invoice)
    for note in CreditNote.objects.filter(club=club).select_related("club", "invoice"):
        pdf.store_credit_note_pdf(note)
