"""Two at once, for real (PostgreSQL row and advisory locks, R-REG-7, issue 7 point 7): the
cart sent twice at the same moment (a double click, two tabs) makes one person, one
membership and one invoice; two guardians registering the same child at once make one
membership; billing at once and an invoice run at the same moment bill a period once."""

from datetime import date

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from billing import services as billing
from billing.models import Agreement, Invoice, InvoiceLine
from invitations import services
from invitations.models import Registration
from members.models import Membership, Person
from members.services import add_membership
from tests.concurrency import run_at_once

from .cart_helpers import adult, invite_user, make_club
from .outbox import needs_optional_recipient

pytestmark = [
    needs_optional_recipient,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def shop(transactional_db):
    return make_club("samtidig-kurv", billing_day=0)


def _checkout(invitation_id, user, who, category_id):
    return lambda: services.checkout(invitation_id, user, who, category_id, [])


def test_the_cart_sent_twice_at_once_registers_and_bills_once(shop):
    kari = adult()
    invitation = services.find_invitation(invite_user(shop.club, kari))
    call = _checkout(invitation.pk, kari, services.Who("self"), shop.ordinary.pk)
    results = run_at_once(call, call)
    assert all(isinstance(r, Registration) for r in results), results
    assert results[0].pk == results[1].pk
    with scopes_disabled():
        assert Membership.objects.filter(person=kari.person).count() == 1
        assert Invoice.objects.filter(club=shop.club).count() == 1
        assert Registration.objects.count() == 1


def test_a_new_child_sent_twice_at_once_is_one_person(shop):
    kari = adult()
    invitation = services.find_invitation(invite_user(shop.club, kari))
    child = services.Identity("Ola", "Nordmann", date(2016, 4, 3), "male")
    who = services.Who("new_child", child=child)
    call = _checkout(invitation.pk, kari, who, shop.ordinary.pk)
    results = run_at_once(call, call)
    assert all(isinstance(r, Registration) for r in results), results
    with scopes_disabled():
        assert Person.objects.filter(first_name="Ola", birth_date=date(2016, 4, 3)).count() == 1
        assert Membership.objects.filter(club=shop.club, person__first_name="Ola").count() == 1
        assert Invoice.objects.filter(club=shop.club).count() == 1


def test_two_guardians_registering_one_child_at_once_make_one_membership(shop):
    kari = adult()
    per = adult("per@example.no", first="Per")
    with scopes_disabled():
        ola = Person.objects.create(
            first_name="Ola", last_name="Nordmann", birth_date=date(2016, 4, 3)
        )
        ola.guardians.add(kari.person, per.person)
    one = services.find_invitation(invite_user(shop.club, kari))
    other = services.find_invitation(invite_user(shop.club, per))
    results = run_at_once(
        _checkout(one.pk, kari, services.Who("child", ola.pk), shop.ordinary.pk),
        _checkout(other.pk, per, services.Who("child", ola.pk), shop.ordinary.pk),
    )
    made = [r for r in results if isinstance(r, Registration)]
    refused = [r for r in results if isinstance(r, services.RegistrationRefused)]
    assert len(made) == 1 and [r.reason for r in refused] == ["member_already"], results
    with scopes_disabled():
        assert Membership.objects.filter(person=ola).count() == 1
        assert Invoice.objects.filter(club=shop.club).count() == 1


def test_billing_at_once_and_a_run_at_the_same_moment_bill_once(shop):
    kari = adult()
    with scopes_disabled():
        membership = add_membership(
            shop.club, kari.person, source="invited", category=shop.ordinary, status="active"
        )
        agreements = list(Agreement.objects.filter(membership=membership))
    day = agreements[0].next_billing_date
    results = run_at_once(
        lambda: billing.bill_now(agreements, on=day),
        lambda: billing.run_invoices(shop.club, day),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    with scopes_disabled():
        assert InvoiceLine.objects.filter(agreement__membership=membership).count() == 1
        assert Invoice.objects.filter(club=shop.club).count() == 1
    assert isinstance(results[0], Invoice)
