"""The overview's quick filters (R-REG-8, R-MEM-1): new members in the last 7, 15 and 30
days and "Sent for approval", each with its count. "The last N days" are today and the
N - 1 days before it, by "member since" (``started_on``) in Oslo time; a rejected
request is no new member; a start date still ahead is not new yet."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from members import services
from members.models import Group, Membership

pytestmark = pytest.mark.django_db
OSLO = ZoneInfo("Europe/Oslo")
TODAY = date(2021, 3, 1)  # across the end of February
Status = Membership.Status

# name: (days before TODAY it started, status)
MEMBERS = {
    "today": (0, Status.ACTIVE),
    "six": (6, Status.ACTIVE),
    "seven": (7, Status.ACTIVE),
    "fourteen": (14, Status.ACTIVE),
    "fifteen": (15, Status.ACTIVE),
    "twentynine": (29, Status.ACTIVE),
    "thirty": (30, Status.ACTIVE),
    "tomorrow": (-1, Status.ACTIVE),
    "rejected": (0, Status.REJECTED),
    "waiting": (3, Status.SENT_FOR_APPROVAL),
    "waiting_long": (100, Status.SENT_FOR_APPROVAL),
}


@pytest.fixture
def club(db, django_user_model):
    with scopes_disabled():
        club = services.create_club("ny-klubb", "Ny klubb", admin_email="admin@ny.example.no")
        made = {}
        for name, (days, status) in MEMBERS.items():
            person = services.create_person(first_name=name.title(), last_name="Nyberg")
            made[name] = services.add_membership(
                club,
                person,
                source=Membership.Source.SELF,
                status=status,
                started_on=TODAY - timedelta(days=days),
            )
    club.made = made
    return club


def names(club, ids) -> set[str]:
    by_pk = {m.pk: name for name, m in club.made.items()}
    return {by_pk[i] for i in ids}


def overview(client, club, **params):
    return client.get(reverse("members:list", args=[club.slug]), params)


def counts(response) -> dict[str, int]:
    return {f["key"]: f["count"] for f in response.context["quick"]}


@pytest.fixture
def admin(client, club):
    with scopes_disabled():
        client.force_login(club.roles.get(kind="admin").user)
    return client


@pytest.mark.parametrize("clock", [(0, 0, 30), (12, 0, 0), (23, 59, 30)])
def test_counts_and_filters_on_the_boundaries(admin, club, clock):
    """Early after midnight in Oslo (still the day before in UTC), at noon, and just
    before midnight the same members are new."""
    when = datetime(TODAY.year, TODAY.month, TODAY.day, *clock, tzinfo=OSLO)
    expected = {
        7: {"today", "six", "waiting"},
        15: {"today", "six", "seven", "fourteen", "waiting"},
        30: {"today", "six", "seven", "fourteen", "fifteen", "twentynine", "waiting"},
    }
    with time_machine.travel(when, tick=False):
        response = overview(admin, club)
        assert counts(response) == {
            "new_7": 3,
            "new_15": 5,
            "new_30": 7,
            "sent_for_approval": 2,
        }
        for days, members in expected.items():
            listed = overview(admin, club, new=days).context["page"].object_list
            assert names(club, [m.pk for m in listed]) == members, days
        waiting = overview(admin, club, status="sent_for_approval").context["page"].object_list
        assert names(club, [m.pk for m in waiting]) == {"waiting", "waiting_long"}


def test_the_next_day_moves_the_window(admin, club):
    with time_machine.travel(datetime(2021, 3, 2, 0, 0, 30, tzinfo=OSLO), tick=False):
        response = overview(admin, club, new=7)
        assert counts(response)["new_7"] == 3
        listed = response.context["page"].object_list
        # "six" (now 7 days ago) is out, "tomorrow" (today now) is in
        assert names(club, [m.pk for m in listed]) == {"today", "tomorrow", "waiting"}


def test_the_chips_show_counts_link_to_their_filter_and_mark_the_current_one(admin, club):
    with time_machine.travel(datetime(2021, 3, 1, 12, tzinfo=OSLO), tick=False):
        page = overview(admin, club, new=15).content.decode()
    list_url = reverse("members:list", args=[club.slug])
    assert f'href="{list_url}?new=7"' in page
    assert f'href="{list_url}?status=sent_for_approval"' in page
    chip = page.split('id="quick-new_15"')[0].rsplit("<a", 1)[1]
    assert 'class="chip current"' in chip
    assert 'aria-current="true"' in page.split('id="quick-new_15"')[1].split(">")[0]
    sent = page.split('id="quick-sent_for_approval"')[1].split("</a>")[0]
    assert '<span class="chip-count">2</span>' in sent


def test_the_htmx_table_carries_the_chips_too(admin, club):
    with time_machine.travel(datetime(2021, 3, 1, 12, tzinfo=OSLO), tick=False):
        response = admin.get(
            reverse("members:list", args=[club.slug]),
            {"status": "sent_for_approval"},
            HTTP_HX_REQUEST="true",
        )
    assert response.templates[0].name == "members/_member_table.html"
    assert counts(response)["sent_for_approval"] == 2
    assert 'class="chip current" id="quick-sent_for_approval"' in response.content.decode()


def test_a_group_admin_counts_only_their_groups_members(client, club, django_user_model):
    coach = django_user_model.objects.create_user("trener@ny.example.no", "x")
    with scopes_disabled():
        group = Group.objects.create(club=club, name="Parti")
        for name in ("today", "waiting"):
            services.add_to_group(group, club.made[name])
        services.grant_group_admin(group, coach)
    client.force_login(coach)
    with time_machine.travel(datetime(2021, 3, 1, 12, tzinfo=OSLO), tick=False):
        response = overview(client, club)
    assert counts(response) == {"new_7": 2, "new_15": 2, "new_30": 2, "sent_for_approval": 1}
