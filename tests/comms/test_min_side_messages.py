"""Min side shows the messages a person received (issue 5 point 9, R-ACT-6, R-ACT-7): their
own, and per child those sent to the child or to the user about the child — nobody
else's."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from comms.models import OutboundMessage
from tests.members.test_min_side import make_family

pytestmark = pytest.mark.django_db


def message(club, person, subject, *, about=None):
    with scopes_disabled():
        return OutboundMessage.objects.create(
            club=club,
            person=person,
            about_person=about,
            channel=OutboundMessage.Channel.EMAIL,
            to_address=person.email or "x@example.no",
            subject=subject,
            body_text=subject,
            idempotency_key=f"test:{subject}",
        )


def test_min_side_lists_own_and_childrens_messages_only(client, demo, django_user_model):
    a = make_family(demo["a"], "Aasen", email="a@example.no", django_user_model=django_user_model)
    b = make_family(demo["b"], "Berg", email="b@example.no", django_user_model=django_user_model)
    message(demo["a"], a["parent"], "Velkommen til klubben")
    message(demo["a"], a["parent"], "Treningstider for Barn", about=a["child"])
    message(demo["a"], a["child"], "Direkte til barnet")
    message(demo["b"], b["parent"], "Bergs faktura")
    message(demo["b"], b["parent"], "Om Bergs barn", about=b["child"])

    client.force_login(a["user"])
    page = client.get(reverse("minside:index")).content.decode()

    own = page.split(f'id="child-{a["child"].public_id}"')[0]
    child_section = page.split(f'id="child-{a["child"].public_id}"')[1]
    assert "Velkommen til klubben" in own
    assert "Treningstider for Barn" not in own
    assert "Treningstider for Barn" in child_section
    assert "Direkte til barnet" in child_section
    assert "Bergs faktura" not in page
    assert "Om Bergs barn" not in page


def test_no_messages_no_panel(client, demo, django_user_model):
    a = make_family(demo["a"], "Aasen", email="a@example.no", django_user_model=django_user_model)
    client.force_login(a["user"])
    page = client.get(reverse("minside:index")).content.decode()
    assert 'id="panel-messages"' not in page
