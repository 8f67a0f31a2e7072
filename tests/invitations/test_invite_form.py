"""Inviting new members (R-REG-1): "Invite" on the member overview, the pasted list with
every entry accounted for, the e-mail and SMS in the club's name, the list with resend
and revoke, and what the link shows when it was revoked, has expired or is unknown."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from comms.services import send_message
from invitations import services
from invitations.models import Invitation
from invitations.recipients import parse_recipients
from members.models import Group, GroupMember, Membership
from members.services import create_club, grant_group_admin

from .conftest import make_member
from .outbox import invitation_link, messages_to, needs_optional_recipient

# --- The pasted list (no database) ------------------------------------------------------


def test_separators_and_numbers_with_spaces():
    parsed = parse_recipients(
        "kari@example.no, ola@example.no;per@example.no\n912 34 567 +47 412 34 567\t98765432"
    )
    assert [(e.email, e.phone) for e in parsed.entries] == [
        ("kari@example.no", ""),
        ("ola@example.no", ""),
        ("per@example.no", ""),
        ("", "+4791234567"),
        ("", "+4741234567"),
        ("", "+4798765432"),
    ]
    assert not parsed.invalid and parsed.duplicates == 0


def test_every_invalid_entry_is_named_with_its_reason():
    parsed = parse_recipients("kari@, 123, 22 33 44 55\nhei +46 70 123 45 67 ok@example.no")
    assert [(i.text, i.reason) for i in parsed.invalid] == [
        ("kari@", "not a valid e-mail address"),
        ("123", "not a valid phone number"),
        ("22 33 44 55", "not a mobile number (an SMS cannot reach it)"),
        ("hei", "neither an e-mail address nor a mobile number"),
        ("+46 70 123 45 67", "not a Norwegian number"),
    ]
    assert [e.email for e in parsed.entries] == ["ok@example.no"]
    assert parsed.as_text() == "ok@example.no"


def test_duplicates_are_folded_and_a_line_with_both_is_one_person():
    parsed = parse_recipients(
        "Kari Nordmann <Kari@Example.NO>; kari@example.no\n"
        "ola@example.no\t912 34 567\n"
        "+4791234567\n"
        "per@example.no\n"
        "per@example.no 412 34 567"
    )
    assert [(e.email, e.phone) for e in parsed.entries] == [
        ("Kari@example.no", ""),
        ("ola@example.no", "+4791234567"),
        ("per@example.no", "+4741234567"),
    ]
    assert parsed.duplicates == 2
    assert parsed.as_text().splitlines()[1] == "ola@example.no +47 912 34 567"
    assert not parsed.invalid


# --- The pages ------------------------------------------------------------------------


@pytest.fixture
def club(small_club):
    return small_club.club


@pytest.fixture
def admin_client(client, small_club):
    client.force_login(small_club.admin)
    return client


def new_url(club):
    return reverse("invites:new", args=[club.slug])


def list_url(club):
    return reverse("invites:list", args=[club.slug])


def invite(client, club, text, key="form-1"):
    return client.post(new_url(club), {"recipients": text, "send_key": key}, follow=True)


def invitation(**filters) -> Invitation:
    with scopes_disabled():
        return Invitation.objects.get(**filters)


def test_invite_is_on_the_member_overview_for_club_admins(admin_client, club):
    page = admin_client.get(reverse("members:list", args=[club.slug])).content.decode()
    assert f'href="{new_url(club)}"' in page and "action-invite" in page
    response = admin_client.get(new_url(club))
    assert response.status_code == 200
    assert "E-mail addresses and mobile numbers" in response.content.decode()


def test_group_admins_and_other_clubs_get_no_invitation_pages(client, club, small_club):
    membership = make_member(club, status=Membership.Status.ACTIVE)
    with scopes_disabled():
        group = Group.objects.create(club=club, name="Turn")
        GroupMember.objects.create(club=club, group=group, membership=membership)
        other = create_club("annen", "Annen IL", admin_email="admin@annen.example.no")
        other_admin = other.roles.get(kind="admin").user
        coach = small_club.admin.__class__.objects.create_user("trener@liten.example.no", "x")
    grant_group_admin(group, coach)
    client.force_login(coach)
    page = client.get(reverse("members:list", args=[club.slug])).content.decode()
    assert "action-invite" not in page
    assert client.get(new_url(club)).status_code == 403
    assert client.get(list_url(club)).status_code == 403
    client.force_login(other_admin)
    assert client.get(new_url(club)).status_code == 403
    client.logout()
    assert client.get(list_url(club)).status_code == 302


def test_invalid_entries_are_listed_and_the_valid_ones_kept(admin_client, club):
    response = invite(admin_client, club, "kari@example.no, per@, 912 34 567\nhei")
    assert response.status_code == 400
    html = response.content.decode()
    assert "These 2 entries were not used" in html
    assert "“per@”: not a valid e-mail address" in html
    assert "“hei”: neither an e-mail address nor a mobile number" in html
    assert "Nothing has been sent" in html
    textarea = html.split("<textarea", 1)[1].split("</textarea>", 1)[0]
    assert "kari@example.no\n+47 912 34 567" in textarea and "per@" not in textarea
    with scopes_disabled():
        assert not Invitation.objects.exists()


def test_an_empty_list_says_so(admin_client, club):
    response = invite(admin_client, club, " ,; \n")
    assert response.status_code == 400
    assert "Enter at least one e-mail address or mobile number." in response.content.decode()


@needs_optional_recipient
def test_each_address_gets_an_invitation_by_email_or_sms(admin_client, club, small_club):
    response = invite(admin_client, club, "kari@example.no; 912 34 567\nola@example.no 41234567")
    assert response.redirect_chain[-1][0] == list_url(club)
    html = response.content.decode()
    assert "3 invitations are on their way." in html
    [by_email] = messages_to("kari@example.no")
    assert by_email.channel == "email" and by_email.person_id is None
    assert by_email.subject == f"Invitation to become a member of {club.name}"
    assert f"{club.name} invites you to become a member" in by_email.body_text
    assert "https://ims.example.no/invitasjon/" in by_email.body_text
    [by_sms] = messages_to("+4791234567")
    assert by_sms.channel == "sms"
    assert by_sms.body_text.startswith(f"{club.name} invites you to become a member.")
    assert "https://ims.example.no/invitasjon/" in by_sms.body_text
    both = invitation(email="ola@example.no")
    assert both.phone == "+4741234567" and both.email_message and both.sms_message
    assert both.status == "sent" and both.invited_by == small_club.admin
    assert both.expires_at.date() == (timezone.now() + timedelta(days=30)).date()
    # the code is stored only as its hash
    code = invitation_link("ola@example.no").split("/")[2]
    assert code not in both.code_hash
    # the list shows them
    page = admin_client.get(list_url(club)).content.decode()
    assert "kari@example.no" in page and "+47 912 34 567" in page and "Sent" in page


@needs_optional_recipient
def test_the_email_comes_from_the_club(admin_client, club):
    invite(admin_client, club, "kari@example.no")
    [message] = messages_to("kari@example.no")
    send_message(message.pk)
    [sent] = mail.outbox
    assert sent.from_email.startswith(f"{club.name} <") or sent.from_email.startswith(
        f'"{club.name}" <'
    )
    assert sent.reply_to == [club.email_sender]
    assert sent.to == ["kari@example.no"]


@needs_optional_recipient
def test_the_same_form_twice_invites_once_and_open_invitations_are_not_repeated(admin_client, club):
    invite(admin_client, club, "kari@example.no", key="same")
    response = invite(admin_client, club, "kari@example.no", key="same")
    assert "sent already (the form was sent twice)" in response.content.decode()
    response = invite(admin_client, club, "KARI@example.no, ola@example.no", key="later")
    html = response.content.decode()
    assert "1 invitation is on its way." in html
    assert "kari@example.no had an open invitation already" in html
    assert len(messages_to("kari@example.no")) == 1
    with scopes_disabled():
        assert Invitation.objects.filter(club=club).count() == 2


@needs_optional_recipient
def test_opening_the_link_marks_it_opened(admin_client, club, client):
    invite(admin_client, club, "kari@example.no")
    admin_client.logout()
    response = client.get(invitation_link("kari@example.no"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are invited to become a member" in html and club.name in html
    assert "New user" in html and "Log in" in html
    opened = invitation(email="kari@example.no")
    assert opened.status == "opened" and opened.opened_at is not None


@needs_optional_recipient
def test_send_again_makes_a_new_link_and_the_old_one_stops_working(admin_client, club, client):
    invite(admin_client, club, "kari@example.no")
    old_link = invitation_link("kari@example.no")
    sent = invitation(email="kari@example.no")
    url = reverse("invites:resend", args=[club.slug, sent.pk])
    page = admin_client.get(url).content.decode()
    assert "The link in the earlier message stops working." in page
    response = admin_client.post(url, {"round": "0"}, follow=True)
    assert "is sent again with a new link" in response.content.decode()
    response = admin_client.post(url, {"round": "0"}, follow=True)  # the same form again
    assert "was sent again already" in response.content.decode()
    assert len(messages_to("kari@example.no")) == 2
    again = invitation(pk=sent.pk)
    assert again.resend_count == 1 and again.expires_at > sent.expires_at
    new_link = invitation_link("kari@example.no")
    assert new_link != old_link
    response = client.get(old_link)
    assert response.status_code == 404 and "This link does not work" in response.content.decode()
    assert client.get(new_link).status_code == 200


@needs_optional_recipient
def test_revoked_and_expired_links_say_so(admin_client, club, client, small_club):
    invite(admin_client, club, "kari@example.no, ola@example.no")
    revoked = invitation(email="kari@example.no")
    url = reverse("invites:revoke", args=[club.slug, revoked.pk])
    assert "its link stops working" in admin_client.get(url).content.decode()
    response = admin_client.post(url, follow=True)
    assert "is revoked" in response.content.decode()
    assert invitation(pk=revoked.pk).status == "revoked"
    response = client.get(invitation_link("kari@example.no"))
    assert response.status_code == 410
    html = response.content.decode()
    assert "The invitation has been withdrawn" in html and club.email_sender in html
    # a revoked invitation cannot be sent again
    resend = reverse("invites:resend", args=[club.slug, revoked.pk])
    response = admin_client.post(resend, {"round": "0"}, follow=True)
    assert "cannot be sent again" in response.content.decode()

    link = invitation_link("ola@example.no")
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        response = client.get(link)
        assert response.status_code == 410
        assert "The invitation has expired" in response.content.decode()
        assert invitation(email="ola@example.no").state == "expired"
        admin_client.force_login(small_club.admin)  # a month later: a new session
        page = admin_client.get(list_url(club) + "?state=expired").content.decode()
        assert "ola@example.no" in page and "kari@example.no" not in page
        # an expired invitation can be sent again, with a new date
        expired = invitation(email="ola@example.no")
        admin_client.post(reverse("invites:resend", args=[club.slug, expired.pk]), {"round": "0"})
        assert invitation(pk=expired.pk).state == "sent"


@needs_optional_recipient
def test_the_list_counts_each_status(admin_client, club):
    invite(admin_client, club, "a@example.no, b@example.no, c@example.no")
    services.revoke_invitation(invitation(email="a@example.no"))
    services.mark_opened(invitation(email="b@example.no"))
    html = admin_client.get(list_url(club)).content.decode()
    for label, n in (("All", 3), ("Sent", 1), ("Opened", 1), ("Revoked", 1), ("Expired", 0)):
        assert f'{label} <span class="n">{n}</span>' in html, label
    page = admin_client.get(list_url(club) + "?state=opened").content.decode()
    assert "b@example.no" in page and "a@example.no" not in page


def test_unknown_links_show_no_one(client, db):
    for code in ("nope", "x" * 32, "a" * 101):
        response = client.get(reverse("invitations:invitation", args=[code]))
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
        step = reverse("invitations:signup", args=[code, "identitet"])
        assert client.get(step).status_code == 404


@needs_optional_recipient
def test_another_clubs_invitation_ids_are_not_found(admin_client, club):
    with scopes_disabled():
        other = create_club("annen", "Annen IL", admin_email="admin@annen.example.no")
    services.send_invitations(other, parse_recipients("kari@annen.example.no").entries, key="o")
    theirs = invitation(email="kari@annen.example.no")
    for name in ("invites:resend", "invites:revoke"):
        url = reverse(name, args=[club.slug, theirs.pk])
        assert admin_client.get(url).status_code == 404
        assert admin_client.post(url, {"round": "0"}).status_code == 404
    assert invitation(pk=theirs.pk).status == "sent"
    assert "kari@annen.example.no" not in admin_client.get(list_url(club)).content.decode()
