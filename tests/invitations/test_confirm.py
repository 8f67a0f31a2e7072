"""The verification link (R-ACT-2, R-ACT-4): signed, single-purpose, valid 24 hours;
confirming activates the membership and queues the Min side invitation; confirming
twice is harmless; an old link dies when a new one is sent."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django_scopes import scopes_disabled

from comms.models import OutboundMessage
from comms.rendering import unsubscribe_token
from invitations import services, tokens
from invitations.models import MinSideInvite, VerificationRequest
from members.models import Membership, Person

from .conftest import CLUB_EMAIL, make_member

Status = Membership.Status
OSLO = ZoneInfo("Europe/Oslo")
START = datetime(2026, 9, 1, 18, 0, tzinfo=OSLO)


def link_in(message) -> str:
    """The confirm link as the member's mail program shows it (path only)."""
    url = re.search(r"https?://\S+/bekreft/\S+/", message.body_text).group(0)
    return url.split("ims.example.no", 1)[1]


def invite_link_in(message) -> str:
    url = re.search(r"https?://\S+/min-side/invitasjon/\S+/", message.body_text).group(0)
    return url.split("ims.example.no", 1)[1]


@pytest.fixture
def asked(small_club):
    """A pending member who was sent a verification e-mail just now."""
    membership = make_member(small_club.club, email="kari@example.no", status=Status.PENDING)
    services.activate_club(small_club.club)
    with scopes_disabled():
        request = VerificationRequest.objects.select_related("message").get(membership=membership)
    return request


def status_of(membership_id) -> str:
    with scopes_disabled():
        return Membership.objects.get(pk=membership_id).status


# --- The 24 hours (R-ACT-2) --------------------------------------------------------------


def test_club_a_link_confirmed_at_23h59_works(client, imported, unscoped):
    """Acceptance: with club-a imported, a link opened 23 h 59 min after it was made
    shows the Bekreft button and confirming activates the membership (R-ACT-2, R-ACT-4)."""
    with time_machine.travel(START, tick=False):
        services.activate_club(imported.club)
    request = VerificationRequest.objects.select_related("message").order_by("pk").first()
    link = link_in(request.message)

    with time_machine.travel(START + timedelta(hours=23, minutes=59), tick=False):
        page = client.get(link)
        assert page.status_code == 200
        assert b"Confirm membership" in page.content
        assert b'<button type="submit" class="button primary big">Confirm</button>' in (
            page.content
        )
        assert status_of(request.membership_id) == Status.AWAITING_VERIFICATION
        done = client.post(link)
    assert done.status_code == 200
    assert b"The membership is confirmed" in done.content
    assert status_of(request.membership_id) == Status.ACTIVE
    request.refresh_from_db()
    assert request.confirmed_at == START + timedelta(hours=23, minutes=59)


def test_club_a_link_at_24h01_has_expired(client, imported, unscoped):
    """Acceptance: at 24 h 01 min the page says, in plain words, that the link has
    expired and how to get a new one (ask the club, with its e-mail); nothing changes."""
    with time_machine.travel(START, tick=False):
        services.activate_club(imported.club)
    request = VerificationRequest.objects.select_related("message").order_by("pk").first()
    link = link_in(request.message)

    with time_machine.travel(START + timedelta(hours=24, minutes=1), tick=False):
        page = client.get(link)
        posted = client.post(link)
    for response in (page, posted):
        assert response.status_code == 410
        html = response.content.decode()
        assert "The link has expired" in html
        assert "ask Klubb A to send you one" in html
        assert f'href="mailto:{CLUB_EMAIL}"' in html
        assert "<button" not in html.split("<main", 1)[1]
    assert status_of(request.membership_id) == Status.AWAITING_VERIFICATION
    assert not MinSideInvite.objects.filter(person=request.person).exists()


# --- Confirming --------------------------------------------------------------------------


def test_confirming_queues_the_min_side_invitation_once(client, asked, unscoped):
    """R-ACT-4: confirming activates and queues the Min side invitation; confirming
    again says so and sends nothing more."""
    link = link_in(asked.message)
    first = client.post(link)
    second = client.post(link)
    third = client.get(link)
    assert b"The membership is confirmed" in first.content
    assert b"invitation to Min side" in first.content
    assert status_of(asked.membership_id) == Status.ACTIVE
    invites = MinSideInvite.objects.filter(person=asked.person)
    assert invites.count() == 1
    message = invites.get().message
    assert message.to_address == "kari@example.no"
    assert "/min-side/invitasjon/" in message.body_text
    for again in (second, third):
        assert again.status_code == 200
        assert b"Already confirmed" in again.content
    assert invites.count() == 1
    assert OutboundMessage.objects.filter(person=asked.person).count() == 2  # verify + invite


def test_get_confirms_nothing(client, asked):
    """Mail scanners open links: only the button (POST) confirms."""
    client.get(link_in(asked.message))
    assert status_of(asked.membership_id) == Status.AWAITING_VERIFICATION


def test_a_person_with_a_login_gets_no_invitation(client, asked, django_user_model, unscoped):
    django_user_model.objects.create_user("kari@example.no", "pw-123-abc", person=asked.person)
    response = client.post(link_in(asked.message))
    assert b"You have a login already" in response.content
    assert status_of(asked.membership_id) == Status.ACTIVE
    assert not MinSideInvite.objects.filter(person=asked.person).exists()


def test_a_new_link_kills_the_old_one(client, asked, unscoped):
    """R-ACT-2: the admin sends again to one member; the first link says it has been
    replaced, the new one works."""
    with scopes_disabled():
        membership = Membership.objects.get(pk=asked.membership_id)
    new = services.send_verification(membership, key="again1")
    assert new.pk != asked.pk
    old = client.post(link_in(asked.message))
    assert old.status_code == 410
    assert b"This link has been replaced" in old.content
    assert status_of(asked.membership_id) == Status.AWAITING_VERIFICATION
    new.refresh_from_db()
    assert b"The membership is confirmed" in client.post(link_in(new.message)).content
    # After confirming, the old link no longer says "replaced", just "already confirmed".
    assert b"Already confirmed" in client.get(link_in(asked.message)).content


def test_send_verification_twice_with_one_key_sends_once(asked, unscoped):
    with scopes_disabled():
        membership = Membership.objects.get(pk=asked.membership_id)
    count = OutboundMessage.objects.count()
    first = services.send_verification(membership, key="k1")
    second = services.send_verification(membership, key="k1")
    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == count + 1


def test_send_verification_is_refused_for_an_active_member(small_club, unscoped):
    membership = make_member(small_club.club, email="aktiv@example.no", status=Status.ACTIVE)
    with pytest.raises(services.InvitationError, match="Only pending members"):
        services.send_verification(membership)


def test_a_cancelled_membership_is_not_confirmed(client, asked, unscoped):
    Membership.objects.filter(pk=asked.membership_id).update(status=Status.CANCELLED)
    response = client.post(link_in(asked.message))
    assert b"Nothing to confirm" in response.content
    assert status_of(asked.membership_id) == Status.CANCELLED


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "1:1abc:forged",
        signing.TimestampSigner(salt="another.purpose").sign("1"),
        signing.Signer(salt=tokens.VERIFY_SALT).sign("1"),  # no timestamp
    ],
    ids=["nonsense", "forged", "another-purpose", "no-timestamp"],  # same under xdist
)
def test_forged_or_foreign_tokens_do_not_work(client, asked, token):
    response = client.post(reverse("invitations:confirm", args=[token]))
    assert response.status_code == 404
    assert b"This link does not work" in response.content
    assert status_of(asked.membership_id) == Status.AWAITING_VERIFICATION


def test_a_token_signed_for_unsubscribing_does_not_confirm(client, asked):
    """Single purpose: the unsubscribe link's signature is not a verification."""
    token = unsubscribe_token(asked.pk)
    assert client.post(reverse("invitations:confirm", args=[token])).status_code == 404


def test_a_link_for_another_request_id_is_refused(client, asked):
    token = link_in(asked.message).split("/")[2]
    forged = str(asked.pk + 1) + token[len(str(asked.pk)) :]
    assert client.post(reverse("invitations:confirm", args=[forged])).status_code == 404


def test_guardian_confirms_for_a_child(client, small_club, unscoped):
    """DOMAIN.md §9: a child's e-mail goes to the guardian, the page names the child by
    first name only, and the guardian gets the Min side invitation."""
    membership = make_member(
        small_club.club,
        first="Ola",
        last="Barnesen",
        born=datetime(2018, 4, 2).date(),
        status=Status.PENDING,
    )
    guardian = Person.objects.create(first_name="Guri", last_name="Barnesen", email="guri@x.no")
    membership.person.guardians.add(guardian)
    services.activate_club(small_club.club)
    request = VerificationRequest.objects.select_related("message").get(membership=membership)
    assert request.person == guardian and request.email == "guri@x.no"
    assert request.message.about_person_id == membership.person_id
    page = client.get(link_in(request.message)).content.decode()
    assert "Please confirm that Ola is a member of Liten IL" in page
    assert "Barnesen" not in page and "2018" not in page and "guri@x.no" not in page
    client.post(link_in(request.message))
    invite = MinSideInvite.objects.get()
    assert invite.person == guardian and invite.email == "guri@x.no"
    assert (
        "your children's memberships" in OutboundMessage.objects.get(pk=invite.message_id).body_text
    )
