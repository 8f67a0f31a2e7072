"""Two answers at once to one membership sent for approval (PostgreSQL row locks): the
same form twice is one decision; an approval and a rejection at once — two admins — make
one decision, and the other is refused in plain words. One e-mail, one agreement."""

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from billing.models import Agreement
from comms.models import OutboundMessage
from invitations.models import ApprovalDecision
from invitations.services import approval
from members import services as member_services
from members.models import Membership
from tests.billing.conftest import make_fee
from tests.concurrency import run_at_once

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


@pytest.fixture
def waiting(transactional_db):
    with scopes_disabled():
        club = member_services.create_club("samtidig-g", "Samtidig G", admin_email="a@g.no")
        admin = club.roles.get(kind="admin").user
        person = member_services.create_person(
            first_name="Sara", last_name="Lie", email="sara@g.no"
        )
        membership = member_services.add_membership(
            club,
            person,
            source=Membership.Source.SELF,
            category=make_fee(club).category,
            status=Membership.Status.SENT_FOR_APPROVAL,
        )
    membership.admin = admin
    return membership


def counts(membership):
    with scopes_disabled():
        return (
            ApprovalDecision.objects.filter(membership=membership).count(),
            OutboundMessage.objects.filter(to_address="sara@g.no").count(),
            Agreement.objects.filter(membership=membership).count(),
        )


def test_the_same_form_twice_at_once_is_one_decision(waiting):
    results = run_at_once(*[lambda: approval.approve(waiting, by=waiting.admin, key="same")] * 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.new for r in results) == [False, True]
    assert counts(waiting) == (1, 1, 1)


def test_approve_and_reject_at_once_make_one_decision(waiting):
    results = run_at_once(
        lambda: approval.approve(waiting, by=waiting.admin, key="one"),
        lambda: approval.reject(waiting, by=waiting.admin, comment="Nei.", key="two"),
    )
    refused = [r for r in results if isinstance(r, approval.ApprovalRefused)]
    done = [r for r in results if isinstance(r, approval.Decided)]
    assert len(refused) == 1 and len(done) == 1, results
    assert "not waiting for approval" in str(refused[0])
    decisions, mails, _agreements = counts(waiting)
    assert (decisions, mails) == (1, 1)
    with scopes_disabled():
        status = Membership.objects.get(pk=waiting.pk).status
    assert status == ("active" if done[0].decision.outcome == "approved" else "rejected")
