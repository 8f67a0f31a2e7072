"""Who becomes a member (R-REG-5, R-REG-6): yourself from 15 — the birthday decides —,
a child under 15 only through a guardian; the child typed in is found in the register
the way a new user is (national id number, or name and birth date) and never made
twice; someone else's child, or someone else's person, is taken only with a contact
detail the register has for them."""

from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_scopes import scopes_disabled

from invitations import services
from invitations.models import PhoneCode, Registration
from members.models import Membership, Person
from members.services import add_guardian, create_person

from .cart_helpers import add, adult, checkout, choose, invite_user, make_club, url
from .outbox import needs_optional_recipient
from .test_wizard_account import (
    KARI_BORN,
    KARI_NID,
    PHONE_E164,
    account_step,
    consent_step,
    identity_step,
    invite,
    national_id,
    phone_step,
)
from .test_wizard_account import url as signup_url

pytestmark = needs_optional_recipient

TODAY = date(2026, 11, 19)
User = get_user_model()


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def shop(db, unscoped):
    return make_club(billing_day=15)


def _child(client, code, **fields):
    data = {"has_national_id": "no", "last_name": "Nordmann", "gender": "male"} | fields
    return client.post(url("child", code), data)


# --- 14 and 15 --------------------------------------------------------------------------


def test_fifteen_today_registers_alone_fourteen_does_not(client, shop):
    fifteen = adult("ung@example.no", first="Ida", born=date(2011, 11, 19))
    fourteen = adult("yngre@example.no", first="Eva", born=date(2011, 11, 20))
    code = invite_user(shop.club, fourteen)
    client.force_login(fourteen)
    response = choose(client, code)
    assert response.status_code == 400
    html = response.content.decode()
    assert "You must be 15 years old to register yourself" in html
    assert "a parent or guardian registers you" in html
    add(client, code, category=shop.ordinary)  # no way round by going to the cart
    assert client.get(url("cart", code))["Location"] == url("welcome", code)
    assert not Membership.objects.filter(person=fourteen.person).exists()

    code = invite_user(shop.club, fifteen)
    client.force_login(fifteen)
    assert choose(client, code)["Location"] == url("shop", code)
    add(client, code, category=shop.ordinary)
    checkout(client, code)
    assert Membership.objects.get(person=fifteen.person).status == "active"


def test_the_service_refuses_a_fourteen_year_old_alone(shop):
    fourteen = adult("yngre@example.no", first="Eva", born=date(2011, 11, 20))
    code = invite_user(shop.club, fourteen)
    invitation = services.find_invitation(code)
    with pytest.raises(services.RegistrationRefused) as refused:
        services.checkout(invitation.pk, fourteen, services.Who("self"), shop.ordinary.pk, [])
    assert refused.value.reason == "too_young_alone"


def test_a_guardian_registers_a_child_of_fourteen(client, shop):
    kari = adult()
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    assert choose(client, code, "new_child")["Location"] == url("child", code)
    html = client.get(url("child", code)).content.decode()
    assert "Does the child have a Norwegian national id number?" in html
    before = Person.objects.count()
    response = _child(client, code, first_name="Ola", birth_date="20.11.2011")
    assert response["Location"] == url("shop", code)
    # going back shows what was typed
    html = client.get(url("child", code)).content.decode()
    assert 'value="Ola"' in html and 'value="20.11.2011"' in html
    assert Person.objects.count() == before  # nothing is made before the cart is sent
    add(client, code, category=shop.ordinary)
    checkout(client, code)
    ola = Person.objects.get(first_name="Ola")
    assert list(ola.guardians.all()) == [kari.person]
    membership = Membership.objects.get(person=ola)
    assert membership.status == "active" and membership.source == "invited"
    assert Registration.objects.get().registered_by == kari
    # next time the child is listed as registered, no longer to choose
    html = client.get(url("welcome", code)).content.decode()
    assert f'value="child:{ola.pk}"' not in html and "Ola Nordmann" in html


def test_a_child_of_18_registers_themself_and_a_guardian_must_be_adult(client, shop):
    kari = adult()
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    response = _child(client, code, first_name="Stor", birth_date="19.11.2008")
    assert response.status_code == 400
    assert "A person of 18 or older registers themself" in response.content.decode()
    young = adult("sytten@example.no", first="Siri", born=date(2009, 6, 1))
    code = invite_user(shop.club, young)
    client.force_login(young)
    response = choose(client, code, "new_child")
    assert response.status_code == 400
    assert "aged 18 or older can register a child" in response.content.decode()


# --- matching a child in the register --------------------------------------------------


def test_a_child_in_the_register_is_found_by_national_id_and_not_made_twice(client, shop):
    born = date(2016, 4, 3)
    number = national_id(born, female=False)
    migrated = create_person(first_name="Ola", last_name="Nordmann-Berg", national_id=number)
    kari = adult()
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    before = Person.objects.count()
    _child(client, code, has_national_id="yes", national_id=number, first_name="Ola", birth_date="")
    html = client.get(url("shop", code)).content.decode()
    assert "Ola Nordmann-Berg" in html  # the register's name
    add(client, code, category=shop.ordinary)
    checkout(client, code)
    assert Person.objects.count() == before
    assert Membership.objects.get(club=shop.club).person == migrated
    assert list(migrated.guardians.all()) == [kari.person]


def test_a_child_in_the_register_by_name_and_birth_date(client, shop):
    migrated = create_person(first_name="OLA", last_name="nordmann", birth_date=date(2016, 4, 3))
    kari = adult()
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    _child(client, code, first_name="Ola", birth_date="03.04.2016")
    add(client, code, category=shop.ordinary)
    checkout(client, code)
    assert Membership.objects.get(club=shop.club).person == migrated
    migrated.refresh_from_db()
    assert migrated.gender == "male"  # filled in where the register had nothing


def test_someone_elses_child_is_not_taken_by_name_and_birth_date(client, shop):
    child = create_person(first_name="Ola", last_name="Nordmann", birth_date=date(2016, 4, 3))
    add_guardian(child, first_name="Per", last_name="Nordmann", email="per@example.no")
    stranger = adult("fremmed@example.no", first="Frida", last="Fremmed")
    code = invite_user(shop.club, stranger)
    client.force_login(stranger)
    response = _child(client, code, first_name="Ola", birth_date="03.04.2016")
    assert response.status_code == 400
    html = response.content.decode()
    assert "other contact details than yours" in html and shop.club.email_sender in html
    assert stranger.person not in child.guardians.all()
    # the service says the same, even with the cart sent directly
    identity = services.Identity("Ola", "Nordmann", date(2016, 4, 3), "male")
    who = services.Who("new_child", child=identity)
    invitation = services.find_invitation(code)
    with pytest.raises(services.RegistrationRefused) as refused:
        services.checkout(invitation.pk, stranger, who, shop.ordinary.pk, [])
    assert refused.value.reason == "contact"
    assert not Membership.objects.filter(person=child).exists()


def test_the_other_parent_with_the_registered_mobile_may_register_the_child(client, shop):
    child = create_person(first_name="Ola", last_name="Nordmann", birth_date=date(2016, 4, 3))
    add_guardian(child, first_name="Per", last_name="Nordmann", mobile="+4741234567")
    kari = adult()
    kari.person.mobile = "+4741234567"  # the number she confirmed
    kari.person.save()
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    assert _child(client, code, first_name="Ola", birth_date="03.04.2016").status_code == 302
    add(client, code, category=shop.ordinary)
    checkout(client, code)
    assert kari.person in child.guardians.all()
    assert Membership.objects.get(club=shop.club).person == child


def test_a_child_of_someone_else_cannot_be_chosen_by_id(client, shop):
    other = create_person(first_name="Ola", last_name="Hansen", birth_date=date(2016, 4, 3))
    kari = adult()
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    response = choose(client, code, f"child:{other.pk}")
    assert response.status_code == 400  # not one of the choices
    invitation = services.find_invitation(code)
    with pytest.raises(services.RegistrationRefused) as refused:
        services.checkout(
            invitation.pk, kari, services.Who("child", other.pk), shop.ordinary.pk, []
        )
    assert refused.value.reason == "not_yours"


def test_a_member_already_is_told_so(client, shop):
    kari = adult()
    Membership.objects.create(club=shop.club, person=kari.person, status="active", source="admin")
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    response = choose(client, code)
    assert response.status_code == 400
    assert "Kari Nordmann is already registered with Fjell IL (active)." in (
        response.content.decode()
    )


# --- a new login for someone in the register (the security fix) ------------------------


@pytest.fixture
def migrated_kari(db, unscoped):
    """Kari in the register with her own e-mail and mobile (migrated)."""
    return create_person(
        first_name="Kari",
        last_name="Nordmann",
        national_id=KARI_NID,
        email="kari.gammel@example.no",
        mobile="+4798765432",
    )


def test_a_number_and_a_name_are_not_enough_to_take_someone(client, shop, migrated_kari):
    code = invite(shop.club, email="angriper@example.no", phone=PHONE_E164)
    identity_step(client, code)
    response = phone_step(client, code)
    assert response.status_code == 400
    html = response.content.decode()
    assert "You are in the member register already" in html
    assert "contact the club" in html and shop.club.email_sender in html
    assert client.get(signup_url(code, "bruker"))["Location"] == signup_url(code, "mobil")
    # and the last step refuses too, should the early answer be skipped
    invitation = services.find_invitation(code)
    row = PhoneCode.objects.get(phone=PHONE_E164, confirmed_at__isnull=False)
    new = services.NewLogin(
        identity=services.Identity("Kari", "Nordmann", KARI_BORN, "female", KARI_NID),
        phone=PHONE_E164,
        phone_code_id=row.pk,
        email="angriper@example.no",
        password_hash="x",
        consents=tuple(services.consent_texts(shop.club)),
    )
    with pytest.raises(services.RegistrationRefused) as refused:
        services.create_login(invitation.pk, new)
    assert refused.value.reason == "contact"
    assert not User.objects.filter(person=migrated_kari).exists()


def test_the_registered_mobile_takes_the_person(client, shop, migrated_kari):
    code = invite(shop.club, email="kari.ny@example.no", phone="+4798765432")
    identity_step(client, code)
    assert phone_step(client, code, phone="987 65 432", e164="+4798765432").status_code == 302
    account_step(client, code, email="kari.ny@example.no")
    assert consent_step(client, shop.club, code)["Location"] == reverse(
        "invitations:welcome", args=[code]
    )
    assert User.objects.get(email="kari.ny@example.no").person == migrated_kari


def test_the_invitations_address_takes_the_person(client, shop, migrated_kari):
    code = invite(shop.club, email="kari.gammel@example.no", phone=PHONE_E164)
    identity_step(client, code)
    assert phone_step(client, code).status_code == 302  # another number, the known address
    account_step(client, code, email="kari.gammel@example.no")
    consent_step(client, shop.club, code)
    with scopes_disabled():
        assert User.objects.get(email="kari.gammel@example.no").person == migrated_kari
