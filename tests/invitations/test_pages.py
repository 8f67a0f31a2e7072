"""The club admin's side (R-ACT-2, R-ACT-5): the member card panel with "send again" and
"Send Min side invitation", the Min side invitation page (selected or all active), and
who may use them."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from comms.models import OutboundMessage, SendBatch
from invitations import services
from invitations.models import MinSideInvite, VerificationRequest
from members.models import Group, GroupMember, Membership
from members.services import grant_group_admin

from .conftest import make_member

Status = Membership.Status


def card(club, membership) -> str:
    return reverse("members:card", args=[club.slug, membership.pk])


def test_card_panel_sends_verification_again(client, small_club, unscoped):
    club = small_club.club
    membership = make_member(club, email="kari@example.no", status=Status.PENDING)
    client.force_login(small_club.admin)
    page = client.get(card(club, membership)).content.decode()
    assert 'id="panel-activation"' in page
    assert "Not asked yet" in page
    assert "Send verification e-mail" in page
    url = reverse("activation:verify_member", args=[club.slug, membership.pk])
    response = client.post(url, {"send_key": "k1"}, follow=True)
    assert "A verification e-mail is on its way to kari@example.no" in response.content.decode()
    client.post(url, {"send_key": "k1"})  # the same form twice: one e-mail
    assert VerificationRequest.objects.filter(membership=membership).count() == 1
    membership.refresh_from_db()
    assert membership.status == Status.AWAITING_VERIFICATION
    page = client.get(card(club, membership)).content.decode()
    assert "E-mail sent" in page and "Send verification again" in page
    client.post(url, {"send_key": "k2"})
    requests = VerificationRequest.objects.filter(membership=membership)
    assert requests.count() == 2
    assert requests.filter(superseded_at__isnull=True).count() == 1


def test_card_panel_refuses_a_member_without_address(client, small_club, unscoped):
    club = small_club.club
    membership = make_member(club, status=Status.PENDING)
    client.force_login(small_club.admin)
    assert "Send verification" not in client.get(card(club, membership)).content.decode()
    url = reverse("activation:verify_member", args=[club.slug, membership.pk])
    response = client.post(url, follow=True)
    assert "has no e-mail address, and no guardian with one" in response.content.decode()
    assert not VerificationRequest.objects.exists()


def test_card_panel_sends_min_side_invitation(client, small_club, unscoped):
    """R-ACT-5, one member: an active member who matched (never asked) gets one."""
    club = small_club.club
    membership = make_member(club, email="kari@example.no", status=Status.ACTIVE)
    client.force_login(small_club.admin)
    page = client.get(card(club, membership)).content.decode()
    assert "Not needed (active)" in page and "Send Min side invitation" in page
    url = reverse("activation:invite_member", args=[club.slug, membership.pk])
    response = client.post(url, {"send_key": "k1"}, follow=True)
    html = response.content.decode()
    assert "1 Min side invitation is on its way." in html
    assert "Invited" in html
    client.post(url, {"send_key": "k1"})
    assert MinSideInvite.objects.filter(person=membership.person).count() == 1


def test_panel_and_actions_are_for_club_admins_only(client, small_club, django_user_model):
    """A group admin sees the member card but not this panel, and cannot send."""
    club = small_club.club
    membership = make_member(club, email="kari@example.no", status=Status.PENDING)
    with scopes_disabled():
        group = Group.objects.create(club=club, name="Turn")
        GroupMember.objects.create(club=club, group=group, membership=membership)
    coach = django_user_model.objects.create_user("coach@liten.no", "x")
    grant_group_admin(group, coach)
    client.force_login(coach)
    page = client.get(card(club, membership))
    assert page.status_code == 200
    assert b'id="panel-activation"' not in page.content
    for name in ("activation:verify_member", "activation:invite_member"):
        assert client.post(reverse(name, args=[club.slug, membership.pk])).status_code == 403
    for name in ("activation:index", "activation:min_side", "activation:activate"):
        assert client.get(reverse(name, args=[club.slug])).status_code == 403
    with scopes_disabled():
        assert not VerificationRequest.objects.exists()


def test_invite_page_sends_to_the_selected(client, small_club, unscoped):
    club = small_club.club
    chosen = make_member(club, first="Anne", email="anne@x.no", status=Status.ACTIVE)
    # An id with thousands: no thousands separator in the form (USE_THOUSAND_SEPARATOR).
    Membership.objects.filter(pk=chosen.pk).update(id=1234567)
    chosen.pk = 1234567
    other = make_member(club, first="Berit", email="berit@x.no", status=Status.ACTIVE)
    make_member(club, first="Cecilie", email="cecilie@x.no", status=Status.PENDING)
    client.force_login(small_club.admin)
    url = reverse("activation:min_side", args=[club.slug])
    page = client.get(url)
    html = page.content.decode()
    assert f'value="{chosen.pk}"' in html and f'value="{other.pk}"' in html
    assert "Cecilie" not in html  # not active
    assert "Send to all 2 active members" in html
    key = page.context["send_key"]

    response = client.post(url, {"membership": [chosen.pk], "send_key": key}, follow=True)
    assert "1 Min side invitation is on its way." in response.content.decode()
    assert list(MinSideInvite.objects.values_list("person", flat=True)) == [chosen.person_id]
    again = client.post(url, {"membership": [chosen.pk], "send_key": key}, follow=True)
    assert "sent already" in again.content.decode()
    assert MinSideInvite.objects.count() == 1
    empty = client.post(url, {"send_key": key}, follow=True)
    assert "Select at least one member" in empty.content.decode()


def test_invite_page_sends_to_all_active_in_the_background(
    client, small_club, unscoped, django_capture_on_commit_callbacks
):
    club = small_club.club
    members = [
        make_member(club, first=n, email=f"{n.lower()}@x.no", status=Status.ACTIVE)
        for n in ("Anne", "Berit", "Cecilie")
    ]
    make_member(club, first="Dag", email="dag@x.no", status=Status.PENDING)
    client.force_login(small_club.admin)
    url = reverse("activation:min_side", args=[club.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"scope": "all", "send_key": "all1"})
    assert response.status_code == 302
    assert (
        "prepared and sent in the background" in client.get(response["Location"]).content.decode()
    )
    assert set(MinSideInvite.objects.values_list("person", flat=True)) == {
        m.person_id for m in members
    }
    batch = SendBatch.objects.get(club=club)
    assert batch.total == 3
    assert set(OutboundMessage.objects.filter(batch=batch).values_list("person", flat=True)) == {
        m.person_id for m in members
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"scope": "all", "send_key": "all1"})
    assert MinSideInvite.objects.count() == 3


def test_navigation_shows_activation_to_admins(client, small_club):
    client.force_login(small_club.admin)
    page = client.get(reverse("members:dashboard", args=[small_club.club.slug]))
    assert reverse("activation:index", args=[small_club.club.slug]).encode() in page.content


# --- Public pages leak nothing ------------------------------------------------------------


@pytest.fixture
def other_family(small_club, unscoped):
    """Another member of the club whose data must never show on someone else's link."""
    return make_member(
        small_club.club, first="Hemmelig", last="Naboen", email="nabo@x.no", status=Status.PENDING
    )


def test_public_pages_show_only_the_link_holders_first_name(client, small_club, other_family):
    club = small_club.club
    membership = make_member(
        club, first="Kari", last="Etternavn", email="kari@x.no", status=Status.PENDING
    )
    services.activate_club(club)
    with scopes_disabled():
        request = VerificationRequest.objects.select_related("message").get(membership=membership)
    path = "/" + request.message.body_text.split("/bekreft/", 1)[1].split()[0]
    page = client.get("/bekreft/" + path.lstrip("/")).content.decode()
    assert "Kari" in page
    for secret in ("Etternavn", "kari@x.no", "1980", "Hemmelig", "Naboen", "nabo@x.no"):
        assert secret not in page
    client.post("/bekreft/" + path.lstrip("/"))
    with scopes_disabled():
        invite = MinSideInvite.objects.get(person=membership.person)
        body = OutboundMessage.objects.get(pk=invite.message_id).body_text
    invite_path = "/min-side/invitasjon/" + body.split("/min-side/invitasjon/", 1)[1].split()[0]
    signup = client.get(invite_path).content.decode()
    assert "Kari" in signup and "kari@x.no" in signup
    for secret in ("Etternavn", "Hemmelig", "Naboen", "nabo@x.no"):
        assert secret not in signup


def test_the_isolation_test_walks_every_activation_page():
    """R-SEC-1: tests/members/test_isolation.py tries every club URL with another club's
    admin, foreign ids and no login; these pages are among them (their only object id
    is ``membership_id``, which it knows)."""
    from tests.members.test_isolation import club_url_names

    names = {name for _route, name in club_url_names()}
    assert {
        "activation:index",
        "activation:activate",
        "activation:progress",
        "activation:resend_all",
        "activation:min_side",
        "activation:verify_member",
        "activation:invite_member",
    } <= names
