"""The rules behind the cart (R-REG-7): the first invoice date of a new member with a
default billing day (one pure rule, ``billing.services.next_billing_day``, that the
automatic agreements use too), the branch the club's settings give, and billing at once
(``bill_now``) that bills a period once however often it is asked."""

from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from billing import services as billing
from billing.models import Agreement, Invoice, InvoiceLine, InvoicePaymentMethod
from invitations.models import JoinOutcome
from invitations.services import outcome_for
from members.models import Club, Membership
from members.services import add_membership

from .cart_helpers import adult, make_club


@pytest.mark.parametrize(
    ("billing_day", "joined", "first_invoice"),
    [
        (15, date(2026, 11, 19), date(2026, 12, 15)),  # the release notes' example
        (15, date(2026, 11, 15), date(2026, 11, 15)),  # on the day itself: that day
        (15, date(2026, 11, 14), date(2026, 11, 15)),
        (15, date(2026, 12, 31), date(2027, 1, 15)),  # over the new year
        (28, date(2026, 1, 31), date(2026, 2, 28)),  # month ends: February
        (28, date(2028, 1, 31), date(2028, 2, 28)),  # a leap year too
        (28, date(2028, 2, 29), date(2028, 3, 28)),
        (28, date(2026, 2, 28), date(2026, 2, 28)),
        (28, date(2026, 4, 30), date(2026, 5, 28)),
        (1, date(2026, 1, 31), date(2026, 2, 1)),
        (1, date(2026, 3, 1), date(2026, 3, 1)),
        (0, date(2026, 1, 31), date(2026, 1, 31)),  # billing day 0: at once
    ],
)
def test_the_first_invoice_comes_on_the_next_billing_day(billing_day, joined, first_invoice):
    assert billing.next_billing_day(billing_day, joined) == first_invoice
    club = Club(default_billing_day=billing_day)  # the agreements' rule is the same rule
    assert billing.first_billing_date(club, joined) == first_invoice


def test_the_branch_follows_the_club_settings():
    assert outcome_for(Club(approval_required=True, default_billing_day=15)) == "approval"
    assert outcome_for(Club(approval_required=True, default_billing_day=0)) == "approval"
    assert outcome_for(Club(approval_required=False, default_billing_day=1)) == "billing_day"
    assert outcome_for(Club(approval_required=False, default_billing_day=0)) == "pay_now"
    assert set(JoinOutcome.values) == {"approval", "billing_day", "pay_now"}


@pytest.fixture
def active(db, unscoped):
    """An active member of a club that bills at once: their membership agreement is due
    today."""
    shop = make_club(billing_day=0)
    user = adult()
    membership = add_membership(
        shop.club, user.person, source="invited", category=shop.ordinary, status="active"
    )
    return shop, membership


def test_bill_now_bills_once_however_often_it_is_asked(active):
    shop, membership = active
    agreements = list(Agreement.objects.filter(membership=membership))
    today = agreements[0].next_billing_date
    invoice = billing.bill_now(agreements, on=today)
    assert invoice.total == Decimal("1200.00") and invoice.run is None
    assert invoice.issue_date == today and invoice.payment_method == InvoicePaymentMethod.CARD
    assert invoice.recipient == membership.person
    again = billing.bill_now(list(Agreement.objects.filter(membership=membership)), on=today)
    assert again == invoice
    assert Invoice.objects.filter(club=shop.club).count() == 1
    assert InvoiceLine.objects.filter(agreement__membership=membership).count() == 1
    (agreement,) = Agreement.objects.filter(membership=membership)
    assert agreement.next_billing_date == date(today.year + 1, today.month, today.day)


def test_bill_now_after_a_run_gives_the_runs_invoice(active):
    shop, membership = active
    agreements = list(Agreement.objects.filter(membership=membership))
    today = agreements[0].next_billing_date
    run = billing.run_invoices(shop.club, today)
    assert billing.bill_now(agreements, on=today).run == run
    assert Invoice.objects.filter(club=shop.club).count() == 1


def test_bill_now_with_nothing_due_bills_nothing(db, unscoped):
    shop = make_club(billing_day=15)
    user = adult()
    membership = add_membership(
        shop.club, user.person, source="invited", category=shop.ordinary, status="active"
    )
    agreements = list(Agreement.objects.filter(membership=membership))
    day = agreements[0].next_billing_date
    assert billing.bill_now(agreements, on=day.replace(day=14)) is None
    assert billing.bill_now([]) is None
    with scopes_disabled():
        assert not Invoice.objects.filter(club=shop.club).exists()
        assert Membership.objects.get(pk=membership.pk).status == "active"
