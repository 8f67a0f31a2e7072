"""Member card (R-MEM-4, R-SEC-3 reveal) and create member (R-MEM-5)."""

from datetime import date

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from members import services
from members.models import Membership, Person, PersonAccessLog
from members.panels import _MEMBER_CARD, Panel, register_member_card_panel

pytestmark = pytest.mark.django_db
NATIONAL_ID = "01019012138"


@pytest.fixture
def admin(client, demo):
    client.force_login(demo["admin_a"])
    return client


@pytest.fixture
def member_with_id(demo):
    person = services.create_person(
        first_name="Nora", last_name="Nordmann", national_id=NATIONAL_ID, gender="female"
    )
    with scopes_disabled():
        return services.add_membership(demo["a"], person, source=Membership.Source.ADMIN)


def card_url(m):
    return reverse("members:card", args=[m.club.slug, m.pk])


def test_card_shows_person_masked_id_and_panels(admin, member_with_id):
    html = admin.get(card_url(member_with_id)).content.decode()
    assert "Nora Nordmann" in html
    assert "010190*****" in html and NATIONAL_ID not in html
    for key in ("memberships", "groups", "guardians", "history"):
        assert f'id="panel-{key}"' in html


def test_reveal_shows_the_number_and_is_logged_in_history(admin, demo, member_with_id):
    url = reverse("members:reveal_national_id", args=["demo-a", member_with_id.pk])
    response = admin.post(url, HTTP_HX_REQUEST="true")
    assert NATIONAL_ID in response.content.decode()
    log = PersonAccessLog.objects.get(person=member_with_id.person)
    assert log.user == demo["admin_a"] and log.club == demo["a"]
    history = admin.get(card_url(member_with_id)).context["panels"][-1][1]["entries"]
    assert any(e["who"] == "admin-a@example.no" and e["changes"] for e in history)


def test_a_later_app_adds_a_panel_without_members_importing_it(admin, member_with_id):
    register_member_card_panel(
        Panel(
            "test-extra", "Extra", "members/panels/groups.html", lambda r, m: {"links": []}, order=5
        )
    )
    try:
        html = admin.get(card_url(member_with_id)).content.decode()
        assert 'id="panel-test-extra"' in html
    finally:
        _MEMBER_CARD.pop("test-extra")


def test_status_change_from_the_card(admin, member_with_id):
    url = reverse("members:change_status", args=["demo-a", member_with_id.pk])
    admin.post(url, {"status": "cancelled"})
    with scopes_disabled():
        member_with_id.refresh_from_db()
    assert member_with_id.status == "cancelled"
    response = admin.post(url, {"status": "rejected"}, follow=True)
    assert response.context["messages"]


class TestCreateMember:
    url = reverse("members:create", args=["demo-a"])

    def test_exact_match_is_offered_and_attached(self, admin, demo):
        person = services.create_person(
            first_name="Åse", last_name="Berg", birth_date=date(1970, 3, 2)
        )
        response = admin.get(
            self.url, {"first_name": "åse", "last_name": "BERG", "birth_date": "02.03.1970"}
        )
        assert [p for p, _ in response.context["matches"]] == [person]
        done = admin.post(reverse("members:attach", args=["demo-a"]), {"person": person.public_id})
        assert done.status_code == 302
        with scopes_disabled():
            assert Membership.objects.filter(club=demo["a"], person=person).exists()

    def test_near_miss_is_never_shown(self, admin):
        services.create_person(first_name="Åse", last_name="Berg", birth_date=date(1970, 3, 2))
        response = admin.get(
            self.url, {"first_name": "Åsa", "last_name": "Berg", "birth_date": "02.03.1970"}
        )
        assert response.context["matches"] == []
        assert "Åse" not in response.content.decode()
        assert response.context["person_form"] is not None

    def test_search_by_national_id(self, admin, member_with_id):
        response = admin.get(self.url, {"national_id": NATIONAL_ID})
        assert response.context["matches"] == [(member_with_id.person, True)]

    def test_invalid_national_id_gets_a_clear_error(self, admin):
        response = admin.get(self.url, {"national_id": "01019012139"})
        assert response.context["search"].errors["national_id"]

    def test_new_person_is_created_once_even_on_double_submit(self, admin, demo):
        data = {
            "first_name": "Ny",
            "last_name": "Person",
            "birth_date": "05.06.2001",
            "gender": "male",
            "email": "ny@example.no",
            "mobile": "912 34 567",
        }
        url = reverse("members:create_person", args=["demo-a"])
        first = admin.post(url, data)
        second = admin.post(url, data)
        assert first.status_code == second.status_code == 302
        people = Person.objects.filter(first_name="Ny", last_name="Person")
        assert people.count() == 1
        assert people.get().mobile.as_e164 == "+4791234567"
        with scopes_disabled():
            assert Membership.objects.filter(club=demo["a"], person=people.get()).count() == 1

    def test_bad_fields_are_shown_and_nothing_is_written(self, admin):
        url = reverse("members:create_person", args=["demo-a"])
        before = Person.objects.count()
        response = admin.post(
            url, {"first_name": "X", "last_name": "Y", "birth_date": "31.02.2001", "mobile": "123"}
        )
        assert response.status_code == 400
        assert set(response.context["person_form"].errors) >= {"birth_date", "mobile"}
        assert Person.objects.count() == before


class TestClubSettings:
    url = reverse("members:settings", args=["demo-a"])

    def form_data(self, client, **changes):
        form = client.get(self.url).context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
        data = {k: v for k, v in data.items() if v is not False}
        data.update(changes)
        return data

    def test_saves_valid_settings(self, admin, demo):
        data = self.form_data(admin, name="Nytt Navn IL", due_days=10, default_billing_day=15)
        response = admin.post(self.url, data)
        assert response.status_code == 302
        demo["a"].refresh_from_db()
        assert (demo["a"].name, demo["a"].due_days, demo["a"].default_billing_day) == (
            "Nytt Navn IL",
            10,
            15,
        )

    def test_refuses_bad_numbers_with_messages(self, admin, demo):
        data = self.form_data(
            admin,
            org_number="123456789",
            bank_account="1234567",
            default_billing_day=31,
            sms_sender="Far too long name",
        )
        response = admin.post(self.url, data)
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert {"org_number", "bank_account", "default_billing_day", "sms_sender"} <= set(errors)
        demo["a"].refresh_from_db()
        assert demo["a"].org_number == "914778271"
