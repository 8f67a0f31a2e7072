"""The member overview and member card in a real browser, checked the way a user would:
log in through the form, search and filter, open a card, switch language, and run
into the tenant wall."""

import re
from collections import Counter

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from members.models import Membership
from members.permissions import club_access, visible_memberships

from .conftest import log_in

pytestmark = pytest.mark.e2e

OVERVIEW = "/club/demo-a/members/"
ROWS = "table.members tbody tr"
NAME_LINKS = "table.members tbody td:first-child a"


def count_in(page: Page) -> int:
    """The number in the count line above the table ("40 medlemmer" / "40 members")."""
    text = page.locator("#member-table .count").inner_text()
    return int(re.search(r"\d+", text.replace("\xa0", "")).group())


def card_ids(page: Page) -> set[int]:
    hrefs = page.locator(NAME_LINKS).evaluate_all("links => links.map(a => a.pathname)")
    return {int(re.search(r"/members/(\d+)/$", h).group(1)) for h in hrefs}


def test_log_in_through_the_form_lands_in_the_club(page, demo_clubs_tx):
    page.goto("/club/demo-a/members/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    form = page.locator("main form")
    form.locator("input[name=login]").fill("admin-a@example.no")
    form.locator("input[name=password]").fill("demo1234")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/club/demo-a/members/$"))
    expect(page.locator(".club-name")).to_have_text(demo_clubs_tx["a"].name)
    expect(page.locator(ROWS).first).to_be_visible()


def test_search_narrows_the_table(page, demo_clubs_tx):
    log_in(page, "admin-a@example.no")
    page.goto(OVERVIEW)
    total = count_in(page)
    first_rows = page.locator(ROWS).count()
    assert total > 1 and first_rows > 1
    last_name = page.locator(NAME_LINKS).first.inner_text().split(",")[0]

    page.locator("input[name=q]").press_sequentially(last_name, delay=20)

    expect(page).to_have_url(re.compile(r"[?&]q="))
    count_line = page.locator("#member-table .count")
    expect(count_line).not_to_have_text(re.compile(rf"^{total}\b"))
    assert 0 < count_in(page) < total
    names = page.locator(NAME_LINKS).all_inner_texts()
    assert 0 < len(names) < first_rows
    assert all(last_name.lower() in n.lower() for n in names), names


def test_status_filter_narrows_the_table(page, demo_clubs_tx):
    with scopes_disabled():
        per_status = Counter(
            Membership.objects.filter(club=demo_clubs_tx["a"]).values_list("status", flat=True)
        )
    status, expected = min(per_status.items(), key=lambda item: item[1])  # the rarest one
    log_in(page, "admin-a@example.no")
    page.goto(OVERVIEW)
    total = count_in(page)
    assert 0 < expected < total

    page.locator("select[name=status]").select_option(status)

    expect(page).to_have_url(re.compile(rf"[?&]status={status}"))
    expect(page.locator("#member-table .count")).not_to_have_text(re.compile(rf"^{total}\b"))
    assert count_in(page) == expected
    badges = page.locator(f"{ROWS} .badge")
    expect(badges).to_have_count(min(expected, 50))
    for cls in badges.evaluate_all("els => els.map(e => e.className)"):
        assert f"status-{status}" in cls.split()


def test_clicking_a_name_opens_the_member_card(page, demo_clubs_tx):
    log_in(page, "admin-a@example.no")
    page.goto(OVERVIEW)
    link = page.locator(NAME_LINKS).nth(2)
    last, first = (part.strip() for part in link.inner_text().split(",", 1))

    link.click()

    expect(page).to_have_url(re.compile(r"/club/demo-a/members/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{first} {last}")
    expect(page.locator("#panel-person")).to_be_visible()


def test_language_buttons_switch_the_navigation(page, demo_clubs_tx):
    log_in(page, "admin-a@example.no")
    page.goto("/club/demo-a/")
    nav = page.locator("nav.clubnav")
    members_tab = nav.locator('a[href$="/members/"]')
    expect(members_tab).to_have_text("Medlemmer")

    page.locator(".lang-switch").get_by_role("button", name="EN").click()
    expect(members_tab).to_have_text("Members")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator(".lang-switch").get_by_role("button", name="NB").click()
    expect(members_tab).to_have_text("Medlemmer")
    expect(page.locator("html")).to_have_attribute("lang", "nb")


def test_group_admin_sees_only_their_groups_members(page, demo_clubs_tx):
    club = demo_clubs_tx["a"]
    with scopes_disabled():
        access = club_access(demo_clubs_tx["coach_a"], club)
        group_ids = set(visible_memberships(access).values_list("pk", flat=True))
        club_total = Membership.objects.filter(club=club).count()
    assert 0 < len(group_ids) < club_total

    log_in(page, "trener-a@example.no")
    page.goto(OVERVIEW)

    assert count_in(page) == len(group_ids)
    shown = card_ids(page)
    assert shown and shown <= group_ids
    expect(page.locator('nav.clubnav a[href$="/settings/"]')).to_have_count(0)


def test_admin_of_another_club_is_refused(page, demo_clubs_tx):
    with scopes_disabled():
        names = [
            name
            for m in Membership.objects.filter(club=demo_clubs_tx["a"]).select_related("person")
            for name in (m.person.full_name, f"{m.person.last_name}, {m.person.first_name}")
        ]
    log_in(page, "admin-b@example.no")

    response = page.goto(OVERVIEW)

    assert response is not None and response.status == 403
    expect(page.locator("table.members")).to_have_count(0)
    body = page.locator("body").inner_text()
    leaked = [n for n in names if n in body]
    assert not leaked, f"demo-a names on the error page: {leaked[:5]}"


def test_pages_fit_a_phone_screen(new_page, demo_clubs_tx):
    """No sideways scrolling of the whole page at 390 px (wide tables scroll inside)."""
    page = new_page(390, 844)

    def overflow() -> int:
        return page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )

    page.goto("/accounts/login/")
    too_wide = {"/accounts/login/": overflow()}
    log_in(page, "admin-a@example.no")
    for path in ["/club/demo-a/", OVERVIEW, "/club/demo-a/members/new/", "/club/demo-a/settings/"]:
        page.goto(path)
        too_wide[path] = overflow()
    page.goto(OVERVIEW)
    page.locator(NAME_LINKS).first.click()
    expect(page).to_have_url(re.compile(r"/members/\d+/$"))
    too_wide["member card"] = overflow()
    assert not {k: v for k, v in too_wide.items() if v > 0}, too_wide
