"""Member overview (R-MEM-1) and exports (R-MEM-6)."""

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from members import services
from members.models import Group, Membership, MembershipCategory

pytestmark = pytest.mark.django_db
URL = reverse("members:list", args=["demo-a"])


@pytest.fixture
def admin(client, demo):
    client.force_login(demo["admin_a"])
    return client


def ids(response):
    return [m.pk for m in response.context["page"].object_list]


def club_members(demo, **filters):
    with scopes_disabled():
        return Membership.objects.filter(club=demo["a"], **filters)


def test_lists_the_clubs_members_paginated_and_sorted_by_name(admin, demo, settings):
    settings.MEMBER_LIST_PAGE_SIZE = 10
    response = admin.get(URL)
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == club_members(demo).count()
    keys = {
        pk: key
        for pk, *key in club_members(demo).values_list(
            "pk", "person__last_name_key", "person__first_name_key"
        )
    }
    names = [tuple(keys[m.pk]) for m in page.object_list]
    assert names == sorted(names) and len(names) == 10
    second = admin.get(URL, {"page": 2})
    assert set(ids(second)).isdisjoint(ids(response))


def test_names_sort_the_norwegian_way(admin, demo):
    """DOMAIN.md §11: æ, ø, å after z, and the old spelling "aa" as å (PostgreSQL, ICU)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no ICU collation")
    names = ["Åsen", "Zahl", "Østby", "Berg", "Ærø", "Aasen", "Andersen"]
    for i, last in enumerate(names):
        person = services.create_person(
            first_name="Test", last_name=last, birth_date=date(1990, 1, i + 1)
        )
        with scopes_disabled():
            services.add_membership(demo["a"], person, source="admin")
    response = admin.get(URL, {"q": "Test", "sort": "name"})
    shown = [m.last_name for m in response.context["page"].object_list if m.first_name == "Test"]
    assert shown.index("Andersen") < shown.index("Berg") < shown.index("Zahl")
    assert shown.index("Zahl") < shown.index("Ærø") < shown.index("Østby") < shown.index("Åsen")
    assert shown.index("Aasen") > shown.index("Østby")


def test_status_filter(admin, demo):
    response = admin.get(URL, {"status": "active"})
    assert response.context["page"].paginator.count == club_members(demo, status="active").count()
    assert all(m.status == "active" for m in response.context["page"].object_list)


def test_category_and_group_filters(admin, demo):
    with scopes_disabled():
        category = MembershipCategory.objects.filter(club=demo["a"]).first()
        group = Group.objects.filter(club=demo["a"]).first()
    by_cat = admin.get(URL, {"category": category.pk})
    assert by_cat.context["page"].paginator.count == club_members(demo, category=category).count()
    by_group = admin.get(URL, {"group": group.pk})
    expected = club_members(demo, group_links__group=group).count()
    assert by_group.context["page"].paginator.count == expected


def test_category_of_another_club_is_not_a_valid_choice(admin, demo):
    with scopes_disabled():
        foreign = MembershipCategory.objects.filter(club=demo["b"]).first()
    response = admin.get(URL, {"category": foreign.pk})
    assert response.context["filter"].form.errors
    assert response.context["page"].paginator.count == 0


def test_age_and_gender_filters(admin, demo):
    response = admin.get(URL, {"age_min": 6, "age_max": 12, "gender": "female"})
    today = timezone.localdate()
    for m in response.context["page"].object_list:
        age = (
            today.year
            - m.birth_date.year
            - ((today.month, today.day) < (m.birth_date.month, m.birth_date.day))
        )
        assert 6 <= age <= 12 and m.gender == "female"
    expected = [
        m.pk
        for m in club_members(demo).select_related("person")
        if m.person.birth_date and 6 <= m.person.age_on(today) <= 12 and m.person.gender == "female"
    ]
    assert response.context["page"].paginator.count == len(expected)


@pytest.mark.parametrize("days", [7, 15, 30])
def test_new_members_filter(admin, demo, days):
    """The last N days are today and the N - 1 before it (boundaries: test_overview_new)."""
    today = timezone.localdate()
    since = today - timedelta(days=days - 1)
    response = admin.get(URL, {"new": days})
    expected = club_members(demo, started_on__gte=since, started_on__lte=today).exclude(
        status=Membership.Status.REJECTED
    )
    assert response.context["page"].paginator.count == expected.count()


def test_search_by_name_email_phone_and_member_number(admin, demo):
    with scopes_disabled():
        m = club_members(demo).exclude(person__email="").select_related("person").first()
    for term in (
        m.person.last_name,
        m.person.email,
        m.member_number,
        str(m.person.mobile.national_number),
    ):
        found = ids(admin.get(URL, {"q": term}))
        assert m.pk in found, term


@pytest.mark.parametrize("sort", ["born", "-born", "since", "-since", "number", "-name", "status"])
def test_every_sort_works(admin, sort):
    assert admin.get(URL, {"sort": sort}).status_code == 200


def test_htmx_request_gets_only_the_table(admin):
    response = admin.get(URL, {"status": "active"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and b"<table" in response.content


def test_overview_query_count_does_not_grow_with_the_page(
    admin, settings, django_assert_max_num_queries
):
    settings.MEMBER_LIST_PAGE_SIZE = 40
    with django_assert_max_num_queries(12):
        admin.get(URL)


def test_csv_export_of_the_filter_result(admin, demo):
    response = admin.get(reverse("members:export", args=["demo-a", "csv"]), {"status": "active"})
    assert response["Content-Disposition"].startswith('attachment; filename="demo-a-medlemmer-')
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    lines = body.lstrip("\ufeff").strip().split("\r\n")
    assert ";" in lines[0]
    assert len(lines) - 1 == club_members(demo, status="active").count()


def test_xlsx_export_of_the_filter_result(admin, demo):
    response = admin.get(reverse("members:export", args=["demo-a", "xlsx"]), {"new": 30})
    sheet = load_workbook(io.BytesIO(response.content)).active
    since = timezone.localdate() - timedelta(days=30)
    assert sheet.max_row - 1 == club_members(demo, started_on__gte=since).count()


def test_export_never_holds_national_ids(admin, demo):
    body = b"".join(admin.get(reverse("members:export", args=["demo-a", "csv"])).streaming_content)
    with scopes_disabled():
        numbers = [m.person.national_id for m in club_members(demo).select_related("person")]
    assert not any(n and n.encode() in body for n in numbers)


def test_unknown_export_format_is_404(admin):
    assert admin.get(reverse("members:export", args=["demo-a", "pdf"])).status_code == 404
