"""The invitation's link in a real browser at phone width (R-REG-2, R-REG-3): a new user
goes from the link through identity, mobile code, username and password and the terms
to the welcome page, with the keyboard only (typing, Tab and Enter). axe-core checks
each step (no serious or critical violations); with SCREENSHOT_DIR set, each step is
saved there as a PNG to look at."""

import os
import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from invitations import services
from invitations.recipients import Entry
from members.services import create_club, create_person
from tests.e2e.axe import assert_no_serious_violations
from tests.invitations.outbox import invitation_link, last_code, needs_optional_recipient

pytestmark = [pytest.mark.e2e, needs_optional_recipient]

TERMS = "Kontingenten betales forskuddsvis for ett år.\n\nUtmelding skjer skriftlig til klubben."


def shoot(page, name: str) -> None:
    """Each step: axe-core finds no serious or critical violation on it, and with
    SCREENSHOT_DIR set it is saved there."""
    assert_no_serious_violations(page)
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"registration-{name}.png"), full_page=True)


def submit_with_enter(page, selector: str) -> None:
    page.locator(selector).focus()
    page.keyboard.press("Enter")


@pytest.fixture
def invited(transactional_db):
    with scopes_disabled():
        club = create_club("fjell-il", "Fjell Idrettslag")
        club.email_sender = "post@fjell-il.example.no"
        club.terms = TERMS
        club.save()
    services.send_invitations(
        club, [Entry(email="kari@example.no", phone="+4791234567")], key="e2e"
    )
    return club


def test_a_new_user_registers_from_the_link_at_phone_width(new_page, invited):
    page = new_page(390, 844)
    page.goto(invitation_link("kari@example.no"))
    expect(page.locator("h1")).to_be_visible()
    shoot(page, "1-start")
    new_user = page.locator("#invitation a.button").nth(1)
    new_user.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ny-bruker/identitet/$"))

    # Step 1: the national id number; the fields for people without one are hidden
    expect(page.locator(".without-nid")).to_be_hidden()
    page.locator("input[name=national_id]").focus()
    page.keyboard.type("15076500565")
    page.keyboard.press("Tab")
    page.keyboard.type("Kari")
    page.keyboard.press("Tab")
    page.keyboard.type("Nordmann")
    shoot(page, "2-identity")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ny-bruker/mobil/$"))

    # Step 2: the invited number is suggested; send, then type the code
    expect(page.locator("input[name=phone]")).to_have_value("+47 912 34 567")
    shoot(page, "3-phone")
    submit_with_enter(page, "input[name=phone]")
    code_input = page.locator("input[name=code]")
    expect(code_input).to_be_visible()
    code_input.focus()
    page.keyboard.type("000000" if last_code("+4791234567") != "000000" else "111111")
    page.keyboard.press("Enter")
    expect(page.locator(".field.has-error p.error")).to_contain_text("4")
    shoot(page, "4-code-wrong")
    code_input = page.locator("input[name=code]")
    code_input.fill("")
    code_input.focus()
    page.keyboard.type(last_code("+4791234567"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ny-bruker/bruker/$"))

    # Step 3: username (the invited address suggested) and password
    expect(page.locator("input[name=email]")).to_have_value("kari@example.no")
    page.locator("input[name=password1]").focus()
    page.keyboard.type("kort")
    page.keyboard.press("Tab")
    page.keyboard.type("kort")
    page.keyboard.press("Enter")
    expect(page.locator(".field.has-error")).not_to_have_count(0)
    shoot(page, "5-account-error")
    page.locator("input[name=password1]").fill("Fjelltur-i-regn-7")
    page.locator("input[name=password2]").fill("Fjelltur-i-regn-7")
    submit_with_enter(page, "input[name=password2]")
    expect(page).to_have_url(re.compile(r"/ny-bruker/vilkar/$"))

    # Going back (the "Back" links, by keyboard) shows what was typed
    back = page.locator(".wizard-actions a", has_text=re.compile("Back|Tilbake"))
    for step in ("bruker", "mobil", "identitet"):
        back.focus()
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(rf"/ny-bruker/{step}/$"))
        if step == "mobil":
            expect(page.locator(".confirmed")).to_contain_text("+47 912 34 567")
            shoot(page, "6-back-to-phone")
    expect(page.locator("input[name=first_name]")).to_have_value("Kari")
    expect(page.locator("input[name=national_id]")).to_have_value("15076500565")
    page.goto(page.url.replace("/identitet/", "/vilkar/"))

    # Step 4: the terms, ticked with the space bar, sent with Enter
    expect(page.locator(".terms-text")).to_contain_text("Utmelding skjer skriftlig")
    shoot(page, "7-terms")
    page.locator("input[name=sport_rules]").focus()
    page.keyboard.press("Space")
    page.locator("input[name=club_terms]").focus()
    page.keyboard.press("Space")
    submit_with_enter(page, "button[type=submit].primary")
    expect(page).to_have_url(re.compile(r"/velkommen/$"))
    expect(page.locator("h1")).to_contain_text("Kari")
    shoot(page, "8-welcome")

    user = get_user_model().objects.get(email="kari@example.no")
    assert user.person.birth_date == date(1965, 7, 15)
    # the page fits the phone: nothing wider than the viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_national_id_with_a_user_is_refused_at_phone_width(new_page, invited):
    with scopes_disabled():
        person = create_person(first_name="Kari", last_name="Nordmann", national_id="15076500565")
    get_user_model().objects.create_user("kari@old.example.no", "x", person=person)
    page = new_page(390, 844)
    link = invitation_link("kari@example.no")
    page.goto(link + "ny-bruker/identitet/")
    page.locator("input[name=national_id]").fill("15076500565")
    page.locator("input[name=first_name]").fill("Kari")
    page.locator("input[name=last_name]").fill("Nordmann")
    submit_with_enter(page, "input[name=last_name]")
    refusal = page.locator("#refusal")
    expect(refusal).to_be_visible()
    expect(refusal.locator("a[href='/accounts/password/reset/']")).to_be_visible()
    shoot(page, "9-has-user")
