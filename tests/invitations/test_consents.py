"""Consents given while registering (R-REG-3, R-SEC-6) shown with kind, version and
time: on the member card for club admins (the sport's rules and this club's terms, not
another club's), and on Min side for the person and each of their children."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from invitations.models import Consent
from members import services
from members.models import Group
from tests.members.test_min_side import make_family

pytestmark = pytest.mark.django_db
OSLO = ZoneInfo("Europe/Oslo")


def give(person, kind, version, *, club=None, at=datetime(2021, 5, 4, 18, 30, tzinfo=OSLO)):
    with scopes_disabled():
        return Consent.objects.create(
            person=person,
            club=club,
            kind=kind,
            version=version,
            text=f"Tekst {version}",
            given_at=at,
        )


@pytest.fixture
def family(demo, django_user_model):
    fam = make_family(
        demo["a"], "Samtykke", email="s@example.no", django_user_model=django_user_model
    )
    give(fam["parent"], Consent.Kind.SPORT_RULES, "nif-2021")
    give(fam["parent"], Consent.Kind.CLUB_TERMS, "a-terms-1", club=demo["a"])
    give(fam["parent"], Consent.Kind.CLUB_TERMS, "b-terms-9", club=demo["b"])
    give(fam["child"], Consent.Kind.CLUB_TERMS, "a-terms-child", club=demo["a"])
    return fam


def card(membership):
    return reverse("members:card", args=[membership.club.slug, membership.pk])


def test_the_card_shows_the_sport_s_rules_and_this_club_s_terms(client, demo, family):
    client.force_login(demo["admin_a"])
    page = client.get(card(family["own"])).content.decode()
    panel = page.split('id="panel-consents"')[1].split("</section>")[0]
    assert "nif-2021" in panel and "a-terms-1" in panel
    assert "b-terms-9" not in panel  # another club's terms are that club's business
    assert "04.05.2021 18:30" in panel


def test_the_card_has_no_consent_panel_without_consents(client, demo):
    client.force_login(demo["admin_a"])
    with scopes_disabled():
        person = services.create_person(first_name="Uten", last_name="Samtykke")
        membership = services.add_membership(demo["a"], person, source="admin")
    assert 'id="panel-consents"' not in client.get(card(membership)).content.decode()


def test_a_group_admin_sees_no_consents(client, demo, family):
    with scopes_disabled():
        group = Group.objects.get(roles__user=demo["coach_a"])
        services.add_to_group(group, family["own"])
    client.force_login(demo["coach_a"])
    response = client.get(card(family["own"]))
    assert response.status_code == 200
    assert 'id="panel-consents"' not in response.content.decode()


def test_min_side_shows_own_and_children_s_consents(client, family):
    client.force_login(family["user"])
    page = client.get(reverse("minside:index")).content.decode()
    own = page.split('id="panel-consents"')[1].split("</section>")[0]
    assert "nif-2021" in own and "a-terms-1" in own and "b-terms-9" in own
    assert "a-terms-child" not in own
    child = page.split(f'id="panel-consents-{family["child"].public_id}"')[1]
    assert "a-terms-child" in child.split("</ul>")[0]
    assert "Tekst nif-2021" in own  # the text agreed to, behind "details"


def test_min_side_shows_nobody_else_s_consents(client, demo, family, django_user_model):
    other = make_family(
        demo["b"], "Annen", email="o@example.no", django_user_model=django_user_model
    )
    client.force_login(other["user"])
    page = client.get(reverse("minside:index")).content.decode()
    assert "nif-2021" not in page and 'id="panel-consents"' not in page
