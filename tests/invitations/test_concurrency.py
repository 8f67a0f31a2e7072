"""Two at once, for real (PostgreSQL row locks): two activations of one club ask each
member once; two sign-ups with one invitation code make one login (R-ACT-1, R-ACT-5)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_scopes import scopes_disabled

from comms.models import OutboundMessage
from invitations import services
from invitations.models import MinSideInvite, VerificationRequest
from members.models import Membership
from members.services import create_club
from tests.concurrency import run_at_once

from .conftest import make_member

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)

Status = Membership.Status


@pytest.fixture
def club(transactional_db):
    with scopes_disabled():
        club = create_club("samtidig", "Samtidig IL")
    for i in range(20):
        make_member(club, first=f"Medlem{i}", email=f"m{i}@x.no", status=Status.PENDING)
    return club


def test_two_activations_at_once_ask_each_member_once(club):
    results = run_at_once(
        lambda: services.activate_club(club), lambda: services.activate_club(club)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.queued for r in results) == [0, 20]
    with scopes_disabled():
        assert VerificationRequest.objects.filter(club=club).count() == 20
        assert OutboundMessage.objects.filter(club=club).count() == 20


def test_two_signups_with_one_code_at_once_make_one_login(club):
    with scopes_disabled():
        membership = Membership.objects.filter(club=club).select_related("person").first()
        Membership.objects.filter(pk=membership.pk).update(status=Status.ACTIVE)
    services.send_min_side_invites(club, [membership.pk], key="once")
    with scopes_disabled():
        invite = MinSideInvite.objects.select_related("message").get()
    code = invite.message.body_text.split("/min-side/invitasjon/", 1)[1].split("/")[0]
    results = run_at_once(
        lambda: services.redeem_invite(code, services.Signup("a@x.no", "Fjelltur-i-regn-1")),
        lambda: services.redeem_invite(code, services.Signup("b@x.no", "Fjelltur-i-regn-2")),
    )
    refused = [r for r in results if isinstance(r, services.InviteRefused)]
    assert len(refused) == 1 and refused[0].reason == "used", results
    assert get_user_model().objects.filter(person=membership.person).count() == 1
