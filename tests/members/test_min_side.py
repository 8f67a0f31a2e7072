"""Min side (R-ACT-6): a person's own page across all clubs, and its walls (R-SEC-1: a
member sees only themself and their children)."""

import re
from datetime import date

import pytest
from django.template import Template
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from members import minside, services
from members.models import Group, Membership, Person, WaitlistEntry

pytestmark = pytest.mark.django_db

Status = Membership.Status
INDEX = reverse("minside:index")
CONTACT = reverse("minside:contact")
NEWSLETTER = reverse("minside:newsletter")


def cancel_url(membership) -> str:
    return reverse("minside:cancel_membership", args=[membership.pk])


def child_contact_url(child) -> str:
    return reverse("minside:child_contact", args=[child.public_id])


def make_family(club, last_name, *, email, status=Status.ACTIVE, django_user_model):
    """A parent with a login and one child, both members of ``club``."""
    with scopes_disabled():
        parent = services.create_person(
            first_name="Forelder",
            last_name=last_name,
            birth_date=date(1985, 3, 1),
            email=f"{last_name.lower()}@example.no",
            mobile="+4791234567",
            postal_code="0150",
            city="OSLO",
        )
        child = services.create_person(
            first_name="Barn", last_name=last_name, birth_date=date(2015, 6, 1)
        )
        child.guardians.add(parent)
        own = services.add_membership(
            club, parent, source=Membership.Source.ADMIN, status=status, member_number="9001"
        )
        childs = services.add_membership(
            club, child, source=Membership.Source.ADMIN, status=status, member_number="9002"
        )
    user = django_user_model.objects.create_user(email, "pw-123456789")
    user.person = parent
    user.save()
    return {"user": user, "parent": parent, "child": child, "own": own, "childs": childs}


@pytest.fixture
def family_a(demo, django_user_model):
    return make_family(
        demo["a"], "Aasen", email="a@example.no", django_user_model=django_user_model
    )


@pytest.fixture
def family_b(demo, django_user_model):
    return make_family(demo["b"], "Berg", email="b@example.no", django_user_model=django_user_model)


def status_of(membership) -> str:
    with scopes_disabled():
        return Membership.objects.get(pk=membership.pk).status


# --- what Min side shows -------------------------------------------------------------


def test_shows_own_and_childrens_memberships_across_clubs(client, demo, family_a):
    """R-ACT-6: memberships with club, category, status, member number and start date,
    in every club, and the children's."""
    with scopes_disabled():
        services.add_membership(
            demo["b"], family_a["parent"], source=Membership.Source.ADMIN, member_number="77"
        )
    client.force_login(family_a["user"])
    page = client.get(INDEX)
    body = page.content.decode()
    assert page.status_code == 200
    assert demo["a"].name in body and demo["b"].name in body
    assert "9001" in body and "9002" in body and "77" in body
    assert "Barn Aasen" in body
    assert family_a["own"].started_on.strftime("%d.%m.%Y") in body
    assert f'id="child-{family_a["child"].public_id}"' in body


def test_shows_groups_and_waitlist_places(client, demo, family_a):
    with scopes_disabled():
        groups = list(Group.objects.filter(club=demo["a"]).order_by("pk"))
        services.add_to_group(groups[0], family_a["childs"])
        someone = Person.objects.filter(memberships__club=demo["a"]).first()
        WaitlistEntry.objects.create(club=demo["a"], group=groups[1], person=someone, position=4)
        WaitlistEntry.objects.create(
            club=demo["a"], group=groups[1], person=family_a["child"], position=9
        )
    client.force_login(family_a["user"])
    section = child_section(client.get(INDEX), family_a["child"])
    assert groups[0].name in section and groups[1].name in section
    # The place in line counts who is ahead (one), not the stored number (9).
    line = section.split(groups[1].name)[1].split("</li>")[0].split("</span>")[1]
    assert re.findall(r"\d+", line) == ["2"], line


def child_section(response, child) -> str:
    body = response.content.decode()
    start = body.index(f'id="child-{child.public_id}"')
    return body[start : body.index("</section>", start)]


def test_shows_nobody_else(client, demo, family_a, family_b):
    """R-SEC-1: another family's people and memberships are not on the page."""
    client.force_login(family_a["user"])
    body = client.get(INDEX).content.decode()
    assert "Berg" not in body and demo["b"].name not in body


def test_a_child_with_a_login_sees_only_themself(client, demo, family_a, django_user_model):
    """Guardianship points one way: the child sees neither parent nor siblings."""
    with scopes_disabled():
        sibling = services.create_person(
            first_name="Søsken", last_name="Aasen", birth_date=date(2012, 1, 1)
        )
        sibling.guardians.add(family_a["parent"])
    user = django_user_model.objects.create_user("barn@example.no", "pw-123456789")
    user.person = family_a["child"]
    user.save()
    client.force_login(user)
    page = client.get(INDEX)
    body = page.content.decode()
    assert "9002" in body
    assert "Forelder" not in body and "Søsken" not in body and "9001" not in body
    assert page.context["children"] == []


def test_anonymous_is_sent_to_login(client, family_a):
    urls = [
        INDEX,
        CONTACT,
        NEWSLETTER,
        child_contact_url(family_a["child"]),
        cancel_url(family_a["own"]),
    ]
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (302, 405), url
            if response.status_code == 302:
                assert response["Location"].startswith(reverse("account_login")), url
    assert status_of(family_a["own"]) == Status.ACTIVE


def test_a_login_without_a_person_gets_a_clear_page(client, demo, family_a, django_user_model):
    user = django_user_model.objects.create_user("ingen@example.no", "pw-123456789")
    client.force_login(user)
    page = client.get(INDEX)
    assert page.status_code == 200 and 'id="no-person"' in page.content.decode()
    assert "members/min_side/no_person.html" in [t.name for t in page.templates]
    # Its other pages answer the same way and change nothing.
    response = client.post(cancel_url(family_a["own"]))
    assert 'id="no-person"' in response.content.decode()
    assert status_of(family_a["own"]) == Status.ACTIVE


def test_top_bar_links_to_min_side(client, demo):
    client.force_login(demo["admin_a"])
    page = client.get(reverse("members:list", args=["demo-a"]))
    assert f'href="{INDEX}"' in page.content.decode()


# --- landing after login ---------------------------------------------------------------


def test_a_member_without_a_club_role_lands_on_min_side(client, family_a):
    response = client.post(
        reverse("account_login"), {"login": "a@example.no", "password": "pw-123456789"}
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).url == INDEX


def test_club_admins_keep_their_landing(client, demo):
    client.force_login(demo["admin_a"])
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("members:dashboard", args=["demo-a"])
    client.force_login(demo["admin_ab"])
    assert client.get(reverse("home")).status_code == 200  # two clubs: the start page


def test_demo_parent_login_has_a_child_in_demo_a(demo, django_user_model):
    user = django_user_model.objects.get(email="forelder-a@example.no")
    assert not user.club_roles.exists()
    with scopes_disabled():
        assert Membership.objects.filter(club=demo["a"], person=user.person).exists()
        assert Membership.objects.filter(
            club=demo["a"], person__in=user.person.children.all(), status=Status.ACTIVE
        ).exists()


# --- contact details ---------------------------------------------------------------------


def contact_data(**changes) -> dict:
    data = {
        "email": "ny@example.no",
        "mobile": "912 34 567",
        "address_line": "Storgata 1",
        "co_line": "",
        "postal_code": "0150",
        "city": "OSLO",
    }
    data.update(changes)
    return data


def test_edit_own_contact_details_is_saved_and_recorded(client, family_a):
    """R-ACT-6 update contact details; R-SEC-5 who changed it."""
    client.force_login(family_a["user"])
    assert client.get(CONTACT).status_code == 200
    response = client.post(CONTACT, contact_data())
    assert response.status_code == 302 and response.url == INDEX
    parent = Person.objects.get(pk=family_a["parent"].pk)
    assert parent.email == "ny@example.no" and parent.mobile.as_e164 == "+4791234567"
    assert parent.address_line == "Storgata 1"
    record = parent.history.first()
    assert record.history_user == family_a["user"] and record.history_change_reason


def test_a_repeated_submit_writes_nothing_twice(client, family_a):
    client.force_login(family_a["user"])
    client.post(CONTACT, contact_data(email="en@example.no"))
    count = family_a["parent"].history.count()
    assert client.post(CONTACT, contact_data(email="en@example.no")).status_code == 302
    assert family_a["parent"].history.count() == count


@pytest.mark.parametrize(
    "field,value",
    [
        ("mobile", "12"),
        ("mobile", "22 12 34 56"),  # a landline: no SMS reaches it (DOMAIN.md §7)
        ("email", "ikke-en-adresse"),
        ("postal_code", "12a"),
        ("postal_code", "12345"),
        ("city", ""),  # a postal code needs its place
    ],
)
def test_bad_contact_details_are_explained_and_nothing_changes(client, family_a, field, value):
    client.force_login(family_a["user"])
    response = client.post(CONTACT, contact_data(**{field: value}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'class="error"' in response.content.decode()
    parent = Person.objects.get(pk=family_a["parent"].pk)
    assert parent.email == "aasen@example.no" and parent.mobile.as_e164 == "+4791234567"


def test_a_foreign_mobile_is_accepted(client, family_a):
    client.force_login(family_a["user"])
    assert client.post(CONTACT, contact_data(mobile="+46 70 123 45 67")).status_code == 302
    assert Person.objects.get(pk=family_a["parent"].pk).mobile.as_e164 == "+46701234567"


def test_other_fields_cannot_be_changed_through_the_form(client, family_a):
    client.force_login(family_a["user"])
    client.post(CONTACT, contact_data(first_name="Hacker", birth_date="01.01.2000"))
    parent = Person.objects.get(pk=family_a["parent"].pk)
    assert parent.first_name == "Forelder" and parent.birth_date == date(1985, 3, 1)


def test_guardian_edits_childs_contact_details(client, family_a):
    client.force_login(family_a["user"])
    url = child_contact_url(family_a["child"])
    page = client.get(url)
    assert page.status_code == 200 and 'autocomplete="off"' in page.content.decode()
    assert client.post(url, contact_data(email="barn@example.no")).status_code == 302
    child = Person.objects.get(pk=family_a["child"].pk)
    assert child.email == "barn@example.no"
    assert child.history.first().history_user == family_a["user"]
    assert Person.objects.get(pk=family_a["parent"].pk).email == "aasen@example.no"


def test_min_side_changes_are_named_in_the_member_card_history(client, demo, family_a):
    client.force_login(family_a["user"])
    client.post(child_contact_url(family_a["child"]), contact_data(email="barn@example.no"))
    client.force_login(demo["admin_a"])
    card = client.get(reverse("members:card", args=["demo-a", family_a["childs"].pk]))
    history = next(ctx for panel, ctx in card.context["panels"] if panel.key == "history")
    assert history["entries"][0]["who"] == "a@example.no"


# --- newsletter opt-out (R-COM-5) --------------------------------------------------------


def test_newsletter_opt_out_and_back_in(client, family_a):
    client.force_login(family_a["user"])
    assert client.post(NEWSLETTER, {"newsletter": "out"}).status_code == 302
    first = Person.objects.get(pk=family_a["parent"].pk).newsletter_opt_out_at
    assert first is not None and first <= timezone.now()
    client.post(NEWSLETTER, {"newsletter": "out"})  # a double submit keeps the first time
    assert Person.objects.get(pk=family_a["parent"].pk).newsletter_opt_out_at == first
    shown = timezone.localtime(first).strftime("%d.%m.%Y")
    assert shown in client.get(INDEX).content.decode()
    client.post(NEWSLETTER, {"newsletter": "in"})
    assert Person.objects.get(pk=family_a["parent"].pk).newsletter_opt_out_at is None


def test_newsletter_refuses_nonsense_and_get(client, family_a):
    client.force_login(family_a["user"])
    assert client.post(NEWSLETTER, {"newsletter": "maybe"}).status_code == 400
    assert client.get(NEWSLETTER).status_code == 405
    assert Person.objects.get(pk=family_a["parent"].pk).newsletter_opt_out_at is None


# --- cancelling (SPEC §3) ----------------------------------------------------------------


def test_cancel_asks_first_then_cancels_and_records_who(client, family_a):
    client.force_login(family_a["user"])
    page = client.get(cancel_url(family_a["own"]))
    assert page.status_code == 200 and status_of(family_a["own"]) == Status.ACTIVE
    assert timezone.localdate().strftime("%d.%m.%Y") in page.content.decode()
    response = client.post(cancel_url(family_a["own"]))
    assert response.status_code == 302 and response.url == INDEX
    with scopes_disabled():
        membership = Membership.objects.get(pk=family_a["own"].pk)
        record = membership.history.first()
    assert membership.status == Status.CANCELLED
    assert membership.ended_on == timezone.localdate()
    assert record.history_user == family_a["user"] and record.history_change_reason


def test_guardian_cancels_childs_membership_once(client, family_a):
    client.force_login(family_a["user"])
    url = cancel_url(family_a["childs"])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # double submit: nothing more happens
    with scopes_disabled():
        membership = Membership.objects.get(pk=family_a["childs"].pk)
        cancellations = [r for r in membership.history.all() if r.status == Status.CANCELLED]
    assert membership.status == Status.CANCELLED and len(cancellations) == 1
    assert status_of(family_a["own"]) == Status.ACTIVE


def test_a_second_tab_cancelling_the_same_membership_is_harmless(family_a):
    """Two requests that both saw it active: the row lock lets only one through."""
    with scopes_disabled():
        first = Membership.objects.get(pk=family_a["own"].pk)
        second = Membership.objects.get(pk=family_a["own"].pk)
    assert services.cancel_membership(first, by=family_a["user"]) is True
    assert services.cancel_membership(second, by=family_a["user"]) is False
    with scopes_disabled():
        assert Membership.objects.get(pk=first.pk).history.count() == 2  # created, cancelled


def test_what_cannot_be_cancelled_is_refused_plainly(client, demo, django_user_model):
    family = make_family(
        demo["a"],
        "Venter",
        email="venter@example.no",
        status=Status.SENT_FOR_APPROVAL,
        django_user_model=django_user_model,
    )
    client.force_login(family["user"])
    response = client.post(cancel_url(family["own"]), follow=True)
    assert response.redirect_chain[-1][0] == INDEX
    assert list(response.context["messages"])
    assert status_of(family["own"]) == Status.SENT_FOR_APPROVAL
    assert cancel_url(family["own"]) not in response.content.decode()


# --- isolation (R-SEC-1) -----------------------------------------------------------------


def test_cannot_see_or_edit_another_familys_child(client, family_a, family_b):
    client.force_login(family_a["user"])
    url = child_contact_url(family_b["child"])
    assert client.get(url).status_code == 404
    assert client.post(url, contact_data(email="kapret@example.no")).status_code == 404
    assert Person.objects.get(pk=family_b["child"].pk).email == ""


def test_cannot_edit_oneself_or_a_parent_as_a_child(client, family_a):
    """The child URL takes children only: not the user's own id, not another adult."""
    client.force_login(family_a["user"])
    assert client.get(child_contact_url(family_a["parent"])).status_code == 404


@pytest.mark.parametrize("which", ["own", "childs"])
def test_cannot_cancel_another_familys_memberships(client, family_a, family_b, which):
    client.force_login(family_a["user"])
    url = cancel_url(family_b[which])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert status_of(family_b[which]) == Status.ACTIVE


def test_unknown_ids_are_404(client, family_a):
    client.force_login(family_a["user"])
    assert client.get(reverse("minside:cancel_membership", args=[999_999_999])).status_code == 404
    assert client.get("/min-side/children/not-a-uuid/contact/").status_code == 404


def test_a_club_admin_gets_no_extra_reach_on_min_side(client, demo, family_a):
    """Min side is not club-scoped: being admin of the club does not open its members."""
    client.force_login(demo["admin_a"])  # a login without a person
    response = client.post(cancel_url(family_a["own"]))
    assert 'id="no-person"' in response.content.decode()
    assert status_of(family_a["own"]) == Status.ACTIVE
    client.force_login(demo["admin_ab"])  # a login with a person, but not this family's
    assert client.post(cancel_url(family_a["own"])).status_code == 404
    assert client.get(child_contact_url(family_a["child"])).status_code == 404


# --- the panel registry --------------------------------------------------------------------


def test_panels_from_higher_apps_show_per_person_and_hide_on_none(client, family_a, monkeypatch):
    """The registry higher apps fill (comms: messages, billing: invoices): context() is
    asked once per person shown, and None leaves the panel out for that person."""
    seen = []

    def context(request, person):
        seen.append(person.pk)
        if person.first_name != "Barn":
            return None
        return {"note": f"Panelinnhold for {person.first_name}"}

    template = Template("<p>{{ ctx.note }}</p>")  # {% include %} takes a template object too
    panel = minside.Panel("test", "Testpanel", template, context, order=99)
    monkeypatch.setitem(minside._PANELS, panel.key, panel)
    client.force_login(family_a["user"])
    page = client.get(INDEX)
    assert seen == [family_a["parent"].pk, family_a["child"].pk]
    assert "Panelinnhold for Barn" in child_section(page, family_a["child"])
    assert page.content.decode().count("Testpanel") == 1
