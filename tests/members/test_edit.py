"""Correcting a member's data from the club (the data-quality page links here, R-MIG-8)."""

from datetime import date

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from members import services
from members.models import Membership, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def child(demo):
    person = services.create_person(
        first_name="Lille", last_name="Barn", birth_date=date(2016, 4, 1)
    )
    with scopes_disabled():
        return services.add_membership(demo["a"], person, source=Membership.Source.ADMIN)


def test_admin_corrects_contact_details_and_history_records_it(client, demo, child):
    client.force_login(demo["admin_a"])
    url = reverse("members:edit", args=["demo-a", child.pk])
    page = client.get(url)
    data = {
        f"p-{k}": v for k, v in page.context["person_form"].initial.items() if v not in (None, "")
    }
    data.update({"p-email": "ny@example.no", "p-mobile": "98765432", "p-birth_date": "01.04.2016"})
    data.update({"m-payment_method": "invoice"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["person_form"].errors
    child.person.refresh_from_db()
    assert child.person.email == "ny@example.no" and child.person.mobile.as_e164 == "+4798765432"
    assert child.person.history.first().history_user == demo["admin_a"]


def test_wrong_values_are_explained_and_nothing_changes(client, demo, child):
    client.force_login(demo["admin_a"])
    url = reverse("members:edit", args=["demo-a", child.pk])
    response = client.post(
        url,
        {
            "p-first_name": "",
            "p-last_name": "Barn",
            "p-email": "not-an-email",
            "m-payment_method": "invoice",
        },
    )
    assert response.status_code == 200
    assert {"first_name", "email"} <= set(response.context["person_form"].errors)
    child.person.refresh_from_db()
    assert child.person.first_name == "Lille"


def test_guardian_is_added_once_and_reused(client, demo, child):
    client.force_login(demo["admin_a"])
    url = reverse("members:add_guardian", args=["demo-a", child.pk])
    data = {"first_name": "Mor", "last_name": "Barn", "email": "mor@example.no"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # a double click adds nothing
    assert list(child.person.guardians.values_list("email", flat=True)) == ["mor@example.no"]
    assert Person.objects.filter(email="mor@example.no").count() == 1


def test_guardian_needs_a_way_to_be_reached(client, demo, child):
    client.force_login(demo["admin_a"])
    url = reverse("members:add_guardian", args=["demo-a", child.pk])
    response = client.post(url, {"first_name": "Far", "last_name": "Barn"})
    assert response.status_code == 400 and not child.person.guardians.exists()
