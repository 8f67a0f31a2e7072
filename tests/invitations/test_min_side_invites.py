"""Min side invitations (R-ACT-4, R-ACT-5): sent to one, selected or all active members;
a single-use code bound to one Person; creating the login (e-mail suggested, password
twice); a person with a login just logs in; a used or forwarded code attaches nothing."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from comms.models import OutboundMessage
from invitations import services, tokens
from invitations.models import MinSideInvite
from members.models import Membership, Person

from .conftest import make_member

Status = Membership.Status
PASSWORD = "Blåbær-syltetøy-42"
MIN_SIDE = reverse("minside:index")


def invite_path(invite) -> str:
    with scopes_disabled():
        body = OutboundMessage.objects.get(pk=invite.message_id).body_text
    url = re.search(r"https?://\S+/min-side/invitasjon/\S+/", body).group(0)
    return url.split("ims.example.no", 1)[1]


@pytest.fixture
def member(small_club):
    return make_member(small_club.club, email="kari@example.no", status=Status.ACTIVE)


@pytest.fixture
def invite(small_club, member, unscoped):
    result = services.send_min_side_invites(small_club.club, [member], key="first")
    assert result.queued == 1
    return MinSideInvite.objects.get(person=member.person)


def signup(client, path, email="kari@example.no", password=PASSWORD, again=None):
    return client.post(
        path, {"email": email, "password1": password, "password2": again or password}
    )


# --- Sending (R-ACT-5) --------------------------------------------------------------------


def test_one_invitation_per_person_and_none_for_those_with_a_login(
    small_club, django_user_model, unscoped
):
    """Selected members: a guardian of two children gets one invitation; a member with a
    login gets none; a pending member gets none; one without any address is reported."""
    club = small_club.club
    guardian = Person.objects.create(first_name="Guri", last_name="Hansen", email="guri@x.no")
    kids = [
        make_member(club, first=n, last="Hansen", born=date(2017, 1, 1), status=Status.ACTIVE)
        for n in ("Ola", "Per")
    ]
    for kid in kids:
        kid.person.guardians.add(guardian)
    has_login = make_member(club, first="Liv", email="liv@x.no", status=Status.ACTIVE)
    django_user_model.objects.create_user("liv@x.no", "x", person=has_login.person)
    pending = make_member(club, first="Pål", email="paal@x.no", status=Status.PENDING)
    nobody = make_member(club, first="Nils", status=Status.ACTIVE)

    chosen = [*kids, has_login, pending, nobody]
    result = services.send_min_side_invites(club, chosen, key="k1")

    assert (result.queued, result.has_login, result.not_active) == (1, 1, 1)
    assert result.without_email == [nobody]
    invite = MinSideInvite.objects.get()
    assert invite.person == guardian and invite.email == "guri@x.no"
    assert OutboundMessage.objects.filter(person=guardian).count() == 1
    again = services.send_min_side_invites(club, chosen, key="k1")
    assert again.queued == 0 and again.repeated == 1
    assert MinSideInvite.objects.count() == 1


def test_a_child_under_13_never_gets_a_login_of_its_own(small_club, unscoped):
    """DOMAIN.md §9: a child under 13 with its own address and no guardian gets nothing."""
    kid = make_member(
        small_club.club, first="Mia", born=date(2018, 1, 1), email="mia@x.no", status=Status.ACTIVE
    )
    result = services.send_min_side_invites(small_club.club, [kid])
    assert result.queued == 0 and result.without_email == [kid]


def test_code_is_stored_hashed(invite):
    path = invite_path(invite)
    code = path.rstrip("/").rsplit("/", 1)[1]
    assert invite.code_hash == tokens.code_hash(code)
    assert code not in invite.code_hash
    assert invite.expires_at - invite.created_at == timedelta(days=30)


# --- Creating the login -------------------------------------------------------------------


def test_create_login_and_see_the_membership(client, invite, member, small_club):
    """R-ACT-4: the e-mail is suggested as username; after a password twice the person
    is logged in on Min side, where the membership shows."""
    path = invite_path(invite)
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="kari@example.no"' in html
    assert "Welcome, Kari" in html

    response = signup(client, path)
    assert response.status_code == 302 and response["Location"] == MIN_SIDE
    user = get_user_model().objects.get(email="kari@example.no")
    assert user.person_id == member.person_id
    assert user.check_password(PASSWORD)
    invite.refresh_from_db()
    assert invite.used_at is not None and invite.used_by == user
    min_side = client.get(MIN_SIDE).content.decode()
    assert f'id="membership-{member.pk}"' in min_side
    assert small_club.club.name in min_side
    # A second click on the link (or a double submit) just goes to Min side.
    assert client.get(path)["Location"] == MIN_SIDE
    assert signup(client, path)["Location"] == MIN_SIDE
    assert get_user_model().objects.filter(person=member.person).count() == 1


def test_another_username_can_be_chosen(client, invite, member):
    response = signup(client, invite_path(invite), email="kari.privat@example.no")
    assert response.status_code == 302
    assert get_user_model().objects.get(person=member.person).email == "kari.privat@example.no"


@pytest.mark.parametrize(
    "password,again,error",
    [
        (PASSWORD, PASSWORD + "x", "The two passwords are not the same."),
        ("kort", None, "This password is too short."),
        ("12345678901", None, "This password is entirely numeric."),
        ("password123", None, "This password is too common."),
        ("kari@example.no", None, "too similar"),
    ],
)
def test_password_rules(client, invite, password, again, error):
    response = signup(client, invite_path(invite), password=password, again=again)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not get_user_model().objects.filter(email="kari@example.no").exists()
    invite.refresh_from_db()
    assert invite.used_at is None


def test_email_with_a_login_asks_to_log_in_then_attaches(client, invite, member, django_user_model):
    """The e-mail has a login (of nobody yet): the page asks to log in; logged in, the
    invitation connects that login to the person (once)."""
    existing = django_user_model.objects.create_user("kari@example.no", PASSWORD)
    path = invite_path(invite)
    response = signup(client, path)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a login with this e-mail address already." in html
    assert f"{reverse('account_login')}?next={path}" in html
    existing.refresh_from_db()
    assert existing.person_id is None

    client.force_login(existing)
    page = client.get(path)
    assert b"Use your login for Min side" in page.content
    assert client.post(path, {"action": "attach"})["Location"] == MIN_SIDE
    existing.refresh_from_db()
    assert existing.person_id == member.person_id
    invite.refresh_from_db()
    assert invite.used_by == existing


def test_a_person_with_a_login_just_logs_in(client, invite, member, django_user_model):
    """R-ACT-5: the person has a login already (made through another club): the page
    asks to log in; once logged in the link leads to Min side and the code is used."""
    user = django_user_model.objects.create_user("kari.annen@example.no", PASSWORD)
    user.person = member.person
    user.save()
    path = invite_path(invite)
    page = client.get(path)
    assert b"You have a login already" in page.content
    assert f"{reverse('account_login')}?next={path}".encode() in page.content
    assert signup(client, path, email="ny@example.no").status_code == 200  # no form here
    assert not get_user_model().objects.filter(email="ny@example.no").exists()

    client.force_login(user)
    assert client.get(path)["Location"] == MIN_SIDE
    invite.refresh_from_db()
    assert invite.used_by == user


# --- A used or forwarded code --------------------------------------------------------------


def test_a_used_code_is_refused_with_a_clear_page(client, invite, member):
    """Acceptance: a reused code is refused with a clear page that shows nobody's data."""
    path = invite_path(invite)
    signup(client, path)
    client.logout()

    page = client.get(path)
    assert page.status_code == 410
    html = page.content.decode()
    assert "This invitation has already been used" in html
    assert "Kari" not in html and "kari@example.no" not in html
    again = signup(client, path, email="someone.else@example.no")
    assert again.status_code == 410
    assert not get_user_model().objects.filter(email="someone.else@example.no").exists()


def test_a_forwarded_invitation_cannot_attach_another_login_once_used(
    client, invite, member, django_user_model
):
    """Acceptance: the invitation was used; whoever it was forwarded to cannot attach
    their own login to the original person, nor make a new one."""
    path = invite_path(invite)
    signup(client, path)
    owner = get_user_model().objects.get(person=member.person)
    client.logout()

    stranger = django_user_model.objects.create_user("stranger@example.no", PASSWORD)
    client.force_login(stranger)
    page = client.get(path)
    assert page.status_code == 410
    assert b"This invitation has already been used" in page.content
    response = client.post(path, {"action": "attach"})
    assert response.status_code == 410
    stranger.refresh_from_db()
    assert stranger.person_id is None
    with pytest.raises(services.InviteRefused) as refused:
        services.redeem_invite(path.rstrip("/").rsplit("/", 1)[1], stranger)
    assert refused.value.reason == "used"
    assert list(get_user_model().objects.filter(person=member.person)) == [owner]


def test_a_forwarded_unused_invitation_only_ever_gives_the_invited_person_a_login(
    client, invite, member, django_user_model
):
    """A login that belongs to someone else cannot take the invitation (the code is
    bound to its person), and the person is not attached to it."""
    other_person = Person.objects.create(first_name="Ola", last_name="Annen")
    other = django_user_model.objects.create_user("ola@example.no", PASSWORD, person=other_person)
    client.force_login(other)
    path = invite_path(invite)
    page = client.get(path)
    assert page.status_code == 403
    assert b"This invitation is for someone else" in page.content
    assert client.post(path, {"action": "attach"}).status_code == 403
    other.refresh_from_db()
    assert other.person_id == other_person.pk
    invite.refresh_from_db()
    assert invite.used_at is None
    assert not get_user_model().objects.filter(person=member.person).exists()


def test_an_expired_invitation_is_refused(client, invite):
    path = invite_path(invite)
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1), tick=False):
        page = client.get(path)
        posted = signup(client, path)
    assert page.status_code == 410 and b"The invitation has expired" in page.content
    assert posted.status_code == 410
    assert not get_user_model().objects.filter(email="kari@example.no").exists()


@pytest.mark.parametrize("code", ["x", "A" * 32, "A" * 200])
def test_an_unknown_code_shows_nothing(client, invite, code):
    page = client.get(reverse("invitations:redeem", args=[code]))
    assert page.status_code == 404
    assert b"This link does not work" in page.content
    assert b"Kari" not in page.content


def test_two_signups_with_one_code_make_one_login(invite, member):
    """The invitation row is locked while the code is used: the second attempt sees it
    used (here one after the other; PostgreSQL serialises concurrent ones the same way)."""
    code = invite_path(invite).rstrip("/").rsplit("/", 1)[1]
    services.redeem_invite(code, services.Signup("kari@example.no", PASSWORD))
    with pytest.raises(services.InviteRefused) as refused:
        services.redeem_invite(code, services.Signup("kari2@example.no", PASSWORD))
    assert refused.value.reason == "used"
    assert get_user_model().objects.filter(person=member.person).count() == 1
