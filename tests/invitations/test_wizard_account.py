"""The invitation's link, up to the login (R-REG-2, R-REG-3, R-REG-4): a new user gives
national id number (or name, birth date and gender), confirms the mobile with a code,
chooses username and password and agrees to the terms; a person in the register is found
and never made twice; a national id number with a user is refused with "Forgot
password"; an existing user logs in and takes the invitation. What was typed is kept
when going back, and a double submit or two at once make one login."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from invitations import services
from invitations.models import Consent, Invitation
from invitations.recipients import Entry
from members import identity
from members.models import Membership, Person
from members.services import create_club, create_person
from tests.concurrency import run_at_once
from tests.identity_numbers import national_id

from .outbox import invitation_link, last_code, needs_optional_recipient

pytestmark = needs_optional_recipient

User = get_user_model()
PASSWORD = "Fjelltur-i-regn-7"
PHONE, PHONE_E164 = "912 34 567", "+4791234567"
TERMS = "Medlemskontingenten betales forskuddsvis.\n\nUtmelding skjer skriftlig."


KARI_BORN = date(1985, 7, 15)
KARI_NID = national_id(KARI_BORN)


@pytest.fixture
def club(small_club):
    with scopes_disabled():
        small_club.club.terms = TERMS
        small_club.club.save()
    return small_club.club


def invite(club, email="kari@example.no", phone=PHONE_E164) -> str:
    """Invite and return the code of the link."""
    services.send_invitations(club, [Entry(email=email, phone=phone)], key=f"t{email}{phone}")
    return invitation_link(email or phone).split("/")[2]


def url(code, step):
    return reverse("invitations:signup", args=[code, step])


def welcome_url(code):
    return reverse("invitations:welcome", args=[code])


def the_invitation(code) -> Invitation:
    return services.find_invitation(code)


def identity_step(client, code, **fields):
    data = {
        "has_national_id": "yes",
        "national_id": KARI_NID,
        "first_name": "Kari",
        "last_name": "Nordmann",
    } | fields
    return client.post(url(code, "identitet"), data)


def phone_step(client, code, phone=PHONE, e164=PHONE_E164):
    client.post(url(code, "mobil"), {"action": "send", "phone": phone})
    return client.post(url(code, "mobil"), {"action": "verify", "code": last_code(e164)})


def account_step(client, code, email="kari@example.no", password=PASSWORD):
    return client.post(
        url(code, "bruker"), {"email": email, "password1": password, "password2": password}
    )


def consent_step(client, club, code, **extra):
    versions = ",".join(t.version for t in services.consent_texts(club))
    data = {"sport_rules": "on", "club_terms": "on", "versions": versions} | extra
    return client.post(url(code, "vilkar"), data)


def register(client, club, code, **identity_fields):
    assert identity_step(client, code, **identity_fields).status_code == 302
    assert phone_step(client, code).status_code == 302
    assert account_step(client, code).status_code == 302
    return consent_step(client, club, code)


def test_a_new_user_with_national_id_from_link_to_login(client, club):
    code = invite(club)
    start = client.get(reverse("invitations:invitation", args=[code])).content.decode()
    assert f'href="{url(code, "identitet")}"' in start
    page = client.get(url(code, "identitet")).content.decode()
    assert "Step 1 of 4" in page and "Do you have a Norwegian national id number?" in page

    response = identity_step(client, code)
    assert response.status_code == 302 and response["Location"] == url(code, "mobil")
    page = client.get(url(code, "mobil")).content.decode()
    assert 'value="+47 912 34 567"' in page  # the invited number is suggested
    response = client.post(url(code, "mobil"), {"action": "send", "phone": PHONE})
    assert response.status_code == 302
    page = client.get(url(code, "mobil")).content.decode()
    assert "We have sent a code by SMS to <strong>+47 912 34 567</strong>" in page
    assert 'autocomplete="one-time-code"' in page
    response = client.post(url(code, "mobil"), {"action": "verify", "code": last_code(PHONE_E164)})
    assert response["Location"] == url(code, "bruker")

    page = client.get(url(code, "bruker")).content.decode()
    assert 'value="kari@example.no"' in page  # the invited address is suggested
    assert account_step(client, code)["Location"] == url(code, "vilkar")
    page = client.get(url(code, "vilkar")).content.decode()
    assert "the rules of organised sport in Norway" in page
    assert "Utmelding skjer skriftlig." in page
    response = consent_step(client, club, code)
    assert response.status_code == 302 and response["Location"] == welcome_url(code)

    page = client.get(welcome_url(code)).content.decode()
    assert "Welcome, Kari! Your user is created" in page
    assert "Your mobile number +47 912 34 567 is confirmed." in page
    assert reverse("minside:index") in page
    with scopes_disabled():
        user = User.objects.select_related("person").get(email="kari@example.no")
        person = user.person
        assert user.check_password(PASSWORD)
        assert person.national_id == KARI_NID and person.birth_date == KARI_BORN
        assert person.gender == "female" and person.mobile.as_e164 == PHONE_E164
        assert (person.first_name, person.last_name, person.email) == (
            "Kari",
            "Nordmann",
            "kari@example.no",
        )
        consents = {c.kind: c for c in Consent.objects.filter(person=person)}
        assert set(consents) == {"sport_rules", "club_terms"}
        assert consents["club_terms"].text == TERMS and consents["club_terms"].club == club
        assert consents["club_terms"].version.startswith("sha256:")
        assert consents["sport_rules"].version == services.registration.SPORT_RULES_VERSION
        assert consents["sport_rules"].given_at is not None
    taken = the_invitation(code)
    assert taken.user == user and taken.accepted_at and taken.status == "opened"
    assert int(client.session["_auth_user_id"]) == user.pk
    # the wizard's secrets are gone from the session
    assert not [k for k in list(client.session.keys()) if k.startswith("registration:")]


def test_steps_come_in_order(client, club):
    code = invite(club)
    assert client.get(url(code, "vilkar"))["Location"] == url(code, "identitet")
    identity_step(client, code)
    assert client.get(url(code, "bruker"))["Location"] == url(code, "mobil")
    assert client.get(url(code, "ukjent")).status_code == 404


def test_going_back_keeps_what_was_typed(client, club):
    code = invite(club)
    identity_step(client, code)
    phone_step(client, code)
    account_step(client, code, email="kari.n@example.no")
    page = client.get(url(code, "identitet")).content.decode()
    assert f'value="{KARI_NID}"' in page and 'value="Nordmann"' in page
    page = client.get(url(code, "mobil")).content.decode()
    assert "+47 912 34 567 is confirmed." in page
    page = client.get(url(code, "bruker")).content.decode()
    assert 'value="kari.n@example.no"' in page
    assert "You have chosen a password already" in page
    # empty password fields keep the chosen password
    client.post(url(code, "bruker"), {"email": "kari.n@example.no"})
    # one box ticked: refused, and the tick is still there
    response = consent_step(client, club, code, club_terms="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "You must agree to the club&#x27;s terms to become a member." in html
    assert re.search(r'name="sport_rules"[^>]*checked', html)
    assert consent_step(client, club, code)["Location"] == welcome_url(code)
    assert User.objects.get(email="kari.n@example.no").check_password(PASSWORD)


def test_a_person_without_national_id(client, club):
    code = invite(club)
    response = identity_step(
        client,
        code,
        has_national_id="no",
        national_id="",
        first_name="Ana",
        last_name="Silva",
        birth_date="03.02.1990",
        gender="unspecified",
    )
    assert response.status_code == 302
    assert phone_step(client, code).status_code == 302
    account_step(client, code, email="ana@example.no")
    consent_step(client, club, code)
    person = User.objects.get(email="ana@example.no").person
    assert (person.first_name, person.birth_date, person.gender) == ("Ana", date(1990, 2, 3), "")
    assert not person.has_national_id


def test_identity_mistakes_are_named(client, club):
    code = invite(club)
    html = identity_step(client, code, national_id="12345678901").content.decode()
    assert "This is not a valid national id number" in html
    html = identity_step(client, code, has_national_id="no", national_id="").content.decode()
    assert "Type your birth date" in html and "Choose one of the three." in html
    young = timezone.localdate().replace(year=timezone.localdate().year - 12)
    html = identity_step(client, code, national_id=national_id(young)).content.decode()
    assert "You must be at least 13 years old to create a user" in html


def test_a_national_id_that_has_a_user_gets_forgot_password(client, club):
    with scopes_disabled():
        person = create_person(first_name="Kari", last_name="Nordmann", national_id=KARI_NID)
        User.objects.create_user("kari@old.example.no", "x", person=person)
    code = invite(club)
    response = identity_step(client, code)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is already a user for this person" in html
    assert reverse("account_reset_password") in html and "Forgot password" in html
    assert reverse("account_login") in html
    # nothing was kept: the next step is not open
    assert client.get(url(code, "mobil"))["Location"] == url(code, "identitet")


def test_a_migrated_person_is_found_by_national_id(client, club):
    with scopes_disabled():
        person = create_person(
            first_name="Kari", last_name="Nordmann-Berg", national_id=KARI_NID, email=""
        )
        Membership.objects.create(club=club, person=person, status="pending", source="migrated")
        before = Person.objects.count()
    code = invite(club)
    register(client, club, code)
    user = User.objects.get(email="kari@example.no")
    assert user.person_id == person.pk
    assert Person.objects.count() == before
    person.refresh_from_db()
    assert person.mobile.as_e164 == PHONE_E164 and person.email == "kari@example.no"
    assert person.last_name == "Nordmann-Berg"  # the register's name stays


def test_a_migrated_person_without_number_is_found_by_name_and_birth_date(client, club):
    with scopes_disabled():
        person = create_person(first_name="KARI", last_name="nordmann", birth_date=KARI_BORN)
        before = Person.objects.count()
    code = invite(club)
    register(client, club, code)
    person.refresh_from_db()
    assert User.objects.get(email="kari@example.no").person_id == person.pk
    assert person.national_id == KARI_NID and person.gender == "female"
    assert Person.objects.count() == before


def test_a_different_number_on_both_sides_is_someone_else(client, club):
    other = national_id(KARI_BORN, first=300)
    with scopes_disabled():
        namesake = create_person(first_name="Kari", last_name="Nordmann", national_id=other)
    code = invite(club)
    register(client, club, code)
    assert User.objects.get(email="kari@example.no").person_id != namesake.pk


def test_two_equal_people_in_the_register_are_not_guessed(client, club):
    with scopes_disabled():
        for _ in range(2):
            Person.objects.create(first_name="Kari", last_name="Nordmann", birth_date=KARI_BORN)
    code = invite(club)
    html = identity_step(client, code).content.decode()
    assert "more than one person with this name and birth date" in html
    assert club.email_sender in html


def test_the_code_step_names_its_mistakes(client, club):
    code = invite(club)
    identity_step(client, code)
    client.post(url(code, "mobil"), {"action": "send", "phone": PHONE})
    sent = last_code(PHONE_E164)
    wrong = f"{(int(sent) + 1) % 1_000_000:06d}"
    html = client.post(url(code, "mobil"), {"action": "verify", "code": wrong}).content.decode()
    assert "The code is not right. You have 4 tries left." in html
    html = client.post(url(code, "mobil"), {"action": "send", "phone": PHONE}).content.decode()
    assert "You can ask for a new one in" in html and 'name="code"' in html
    html = client.post(url(code, "mobil"), {"action": "send", "phone": "22 33 44 55"}).content
    assert "not a mobile number" in html.decode()


def test_an_email_with_a_user_is_refused_at_the_username(client, club):
    User.objects.create_user("kari@example.no", "x")
    code = invite(club)
    identity_step(client, code)
    phone_step(client, code)
    html = account_step(client, code).content.decode()
    assert "There is a login with this e-mail address already." in html
    assert reverse("account_login") in html


def test_terms_changed_while_reading_are_shown_again(client, club):
    code = invite(club)
    identity_step(client, code)
    phone_step(client, code)
    account_step(client, code)
    versions = ",".join(t.version for t in services.consent_texts(club))
    with scopes_disabled():
        club.terms = TERMS + "\n\nNy regel."
        club.save()
    response = client.post(
        url(code, "vilkar"), {"sport_rules": "on", "club_terms": "on", "versions": versions}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The terms have just been changed" in html and "Ny regel." in html
    assert not User.objects.filter(email="kari@example.no").exists()


def test_a_double_submit_makes_one_login(client, club):
    """The same form sent again (a double click that arrives after the first, the back
    button): one login, and the page goes on to the welcome. Two at once: see the
    concurrency tests below."""
    code = invite(club)
    identity_step(client, code)
    phone_step(client, code)
    account_step(client, code)
    first = consent_step(client, club, code)
    assert first["Location"] == welcome_url(code)
    second = client.post(
        url(code, "vilkar"),
        {"sport_rules": "on", "club_terms": "on", "versions": "x"},
        follow=True,
    )
    assert second.redirect_chain[-1][0] == welcome_url(code)
    assert "Your user is created" in second.content.decode()
    assert User.objects.filter(email="kari@example.no").count() == 1
    with scopes_disabled():
        nid_hash = identity.national_id_hash(KARI_NID)
        assert Person.objects.filter(national_id_hash=nid_hash).count() == 1


def test_the_link_after_the_login_is_made(client, club):
    code = invite(club)
    register(client, club, code)
    assert client.get(reverse("invitations:invitation", args=[code]))["Location"] == welcome_url(
        code
    )
    client.logout()
    html = client.get(reverse("invitations:invitation", args=[code])).content.decode()
    assert "A user has been created with this invitation" in html
    assert client.get(url(code, "identitet"))["Location"].endswith(f"/invitasjon/{code}/")
    # someone else, logged in, neither sees the welcome nor can take it
    with scopes_disabled():
        person = create_person(first_name="Per", last_name="Hansen", birth_date=date(1970, 1, 1))
    client.force_login(User.objects.create_user("per@example.no", "x", person=person))
    response = client.get(welcome_url(code), follow=True)
    assert "A user has been created with this invitation" in response.content.decode()
    response = client.post(reverse("invitations:invitation", args=[code]))
    assert the_invitation(code).user.email == "kari@example.no"
    assert (
        client.get(reverse("invitations:welcome", args=["unknown"]), follow=True).status_code == 404
    )


def test_expired_or_revoked_while_registering(client, club):
    code = invite(club)
    identity_step(client, code)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        response = client.get(url(code, "mobil"))
        assert response.status_code == 410
        assert "The invitation has expired" in response.content.decode()
    services.revoke_invitation(the_invitation(code))
    response = client.post(url(code, "mobil"), {"action": "send", "phone": PHONE})
    assert response.status_code == 410
    assert "The invitation has been withdrawn" in response.content.decode()


def test_an_existing_user_logs_in_and_takes_the_invitation(client, club):
    with scopes_disabled():
        person = create_person(first_name="Ola", last_name="Nordmann", birth_date=date(1980, 1, 1))
    user = User.objects.create_user("ola@example.no", PASSWORD, person=person)
    code = invite(club, email="ola@example.no", phone="")
    link = reverse("invitations:invitation", args=[code])
    html = client.get(link).content.decode()
    assert f"{reverse('account_login')}?next=%2Finvitasjon%2F{code}%2F" in html
    client.force_login(user)
    html = client.get(link).content.decode()
    assert "Continue as ola@example.no" in html
    response = client.post(link)
    assert response["Location"] == welcome_url(code)
    html = client.get(welcome_url(code)).content.decode()
    assert "The invitation from Liten IL is now connected to your user ola@example.no." in html
    assert the_invitation(code).user == user
    # a new user's steps are not for them
    assert client.get(url(code, "identitet"))["Location"] == link


def test_a_login_without_person_cannot_take_the_invitation(client, club, small_club):
    code = invite(club)
    client.force_login(small_club.admin)  # an admin login, no person in the register
    response = client.post(reverse("invitations:invitation", args=[code]))
    assert response.status_code == 200
    assert "not connected to a person in the member register" in response.content.decode()
    assert the_invitation(code).user is None


def _confirmed_login(club, code, email) -> services.NewLogin:
    """What the wizard hands over for Kari, her number confirmed for this invitation."""
    invitation = the_invitation(code)
    purpose = services.phone_purpose(invitation)
    services.send_code(club=club, phone=invitation.phone, purpose=purpose)
    row = services.check_code(
        phone=invitation.phone, purpose=purpose, code=last_code(invitation.phone)
    )
    return services.NewLogin(
        identity=services.Identity("Kari", "Nordmann", KARI_BORN, "female", KARI_NID),
        phone=invitation.phone,
        phone_code_id=row.pk,
        email=email,
        password_hash=make_password(PASSWORD),
        consents=tuple(services.consent_texts(club)),
    )


def _kari_count() -> tuple[int, int]:
    with scopes_disabled():
        nid_hash = identity.national_id_hash(KARI_NID)
        return (
            Person.objects.filter(national_id_hash=nid_hash).count(),
            User.objects.filter(person__national_id_hash=nid_hash).count(),
        )


concurrent = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row and advisory locks need PostgreSQL"
)


@pytest.fixture
def busy_club(transactional_db):
    with scopes_disabled():
        return create_club("samtidig-reg", "Samtidig IL")


@concurrent
def test_two_tabs_at_once_make_one_login(busy_club):
    code = invite(busy_club, email="kari@example.no", phone="+4791234567")
    new = _confirmed_login(busy_club, code, "kari@example.no")
    pk = the_invitation(code).pk
    results = run_at_once(
        lambda: services.create_login(pk, new), lambda: services.create_login(pk, new)
    )
    assert all(isinstance(r, User) for r in results), results
    assert results[0].pk == results[1].pk
    assert _kari_count() == (1, 1)


@concurrent
def test_two_invitations_for_one_person_at_once_make_one_person(busy_club):
    one = invite(busy_club, email="kari@example.no", phone="+4791234567")
    other = invite(busy_club, email="kari.n@example.no", phone="+4741234567")
    first = _confirmed_login(busy_club, one, "kari@example.no")
    second = _confirmed_login(busy_club, other, "kari.n@example.no")
    results = run_at_once(
        lambda: services.create_login(the_invitation(one).pk, first),
        lambda: services.create_login(the_invitation(other).pk, second),
    )
    made = [r for r in results if isinstance(r, User)]
    refused = [r for r in results if isinstance(r, services.RegistrationRefused)]
    assert len(made) == 1 and [r.reason for r in refused] == ["has_user"], results
    assert _kari_count() == (1, 1)
