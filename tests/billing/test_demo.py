"""The demo clubs' billing (issue 6 acceptance: a fresh ``make run`` shows a run, invoices,
PDFs and a card payment end to end). The session's demo (tests/conftest.py) is seeded
through ``seed_demo``, so this reads what ``billing.demo`` made there."""

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from billing import services
from billing.models import Agreement, CreditNote, Fee, Invoice, InvoiceRun, Payment, PriceRule
from members.models import Membership


@pytest.fixture
def seeded(demo):
    with scopes_disabled():
        yield demo


@pytest.mark.parametrize("slug", ["a", "b"])
def test_fees_rules_and_agreements(seeded, slug):
    club = seeded[slug]
    assert club.accepts_card
    fees = Fee.objects.filter(club=club)
    categories = {f.category_id for f in fees.filter(kind=Fee.Kind.MEMBERSHIP)}
    assert categories == set(club.categories.values_list("pk", flat=True))
    assert fees.filter(kind=Fee.Kind.TRAINING, group__isnull=False).count() == 1
    assert fees.filter(kind=Fee.Kind.PRODUCT).count() == 1
    rules = PriceRule.objects.filter(club=club)
    assert {r.kind for r in rules} == {PriceRule.Kind.AGE_BAND, PriceRule.Kind.FAMILY}
    active = Membership.objects.filter(club=club, status=Membership.Status.ACTIVE)
    with_category = active.filter(category__isnull=False)
    agreements = Agreement.objects.filter(club=club, fee__kind=Fee.Kind.MEMBERSHIP)
    assert set(agreements.values_list("membership_id", flat=True)) == set(
        with_category.values_list("pk", flat=True)
    )
    assert not Agreement.objects.filter(club=club).exclude(membership__in=active).exists()


@pytest.mark.parametrize("slug", ["a", "b"])
def test_one_finished_run_with_paid_credited_and_open_invoices(seeded, slug):
    club = seeded[slug]
    (run,) = InvoiceRun.objects.filter(club=club)
    assert run.status == InvoiceRun.Status.FINISHED and run.invoices >= 3
    invoices = Invoice.objects.filter(club=club)
    assert invoices.count() == run.invoices
    statuses = set(invoices.values_list("status", flat=True))
    assert statuses == {"issued", "paid", "credited"}
    assert CreditNote.objects.filter(club=club).count() == 1
    assert Payment.objects.filter(club=club, method=Payment.Method.CARD).count() == 1
    for invoice in invoices.filter(status="paid"):
        assert services.open_amount(invoice) == 0
    # lines name the rules that applied (which ones depends on the members drawn)
    names = set(PriceRule.objects.filter(club=club).values_list("name", flat=True))
    applied = {line.rule_text for i in invoices for line in i.lines.all()} - {""}
    assert applied <= names and (applied or slug == "b")
    # the first PDFs and the credit note's are stored, and they are PDFs
    stored = invoices.exclude(pdf="")
    assert stored.count() >= 3
    with stored.first().pdf.open("rb") as fh:
        assert fh.read(4) == b"%PDF"
    assert not CreditNote.objects.filter(club=club, pdf="").exists()


def test_the_demo_parent_has_an_open_invoice_to_pay_on_min_side(seeded):
    user = get_user_model().objects.get(email="forelder-a@example.no")
    open_ones = Invoice.objects.filter(
        club=seeded["a"], recipient=user.person, status=Invoice.Status.ISSUED
    )
    assert open_ones.exists()
    invoice = open_ones.get()
    assert invoice.pdf
    assert services.open_amount(invoice) == invoice.total > 0
    # the child's fees are on the parent's invoice
    assert invoice.lines.exclude(person=user.person).exists()
