"""From the invitation e-mail's link to the membership, in a real browser at phone width
(R-REG-5 … R-REG-7): who becomes a member, the memberships priced for the person, the
cart, and the one button of each club setting — (i) send for approval, (ii) activate
with the first invoice on the next billing day, (iii) pay now by card, paid or
cancelled —; a guardian registering two children with the keyboard only; an existing
user logging in from the link. axe-core checks each new page; with SCREENSHOT_DIR set,
each is saved there as a PNG to look at."""

import os
import re
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from billing.models import Agreement, CardPayment, Invoice, InvoicePaymentMethod
from ims.celery import app
from invitations import services
from invitations.models import Registration
from invitations.recipients import Entry
from members.models import Membership, Person
from tests.e2e.axe import assert_no_serious_violations
from tests.invitations.cart_helpers import PASSWORD, adult, make_club
from tests.invitations.outbox import (
    invitation_link,
    last_code,
    messages_to,
    needs_optional_recipient,
)

pytestmark = [pytest.mark.e2e, needs_optional_recipient]

PHONE = (390, 844)


@pytest.fixture(autouse=True)
def _tasks_inline():
    """Background tasks (an invoice's PDF and e-mail) run at once, in the server."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _unscoped(unscoped):
    """The test's own look at the database sees every club (the pages keep their scope)."""


KARI_NID = "15076500565"  # born 15.07.1965


def look(page, name: str) -> None:
    """No serious accessibility faults, nothing wider than the phone; a screenshot."""
    assert_no_serious_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0], name
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"cart-{name}.png"), full_page=True)


def invite(club, email, phone="") -> str:
    services.send_invitations(club, [Entry(email=email, phone=phone)], key=f"e2e{email}")
    return invitation_link(email)  # from the e-mail in the outbox


def new_user(page, link: str, email="kari@example.no", phone="+4791234567") -> None:
    """The new user's steps, quickly (their own browser test is test_registration)."""
    page.goto(link)
    page.locator("#invitation a.button").nth(1).click()
    page.locator("input[name=national_id]").fill(KARI_NID)
    page.locator("input[name=first_name]").fill("Kari")
    page.locator("input[name=last_name]").fill("Nordmann")
    page.locator("form.identity-form button[type=submit]").click()
    page.locator("form.phone-form button[type=submit]").click()
    page.locator("input[name=code]").fill(last_code(phone))
    page.locator("form.code-form button[type=submit]").click()
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("form.account-form button[type=submit]").click()
    page.locator("input[name=sport_rules]").check()
    page.locator("form.consent-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/velkommen/$"))


def existing_user(page, link: str, email: str) -> None:
    """Log in from the link and take the invitation."""
    page.goto(link)
    page.locator("#invitation a.button", has_text=re.compile("Logg inn|Log in")).click()
    form = page.locator("main form")
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/invitasjon/[^/]+/$"))
    page.locator("#invitation form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/velkommen/$"))


def myself_to_cart(page, category="Ordinær", shots="") -> None:
    page.locator("#who input[value=self]").check()
    if shots:
        look(page, f"{shots}-1-who")
    page.locator("#who button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/medlemskap/$"))
    offer = page.locator(".offer", has=page.locator("h3", has_text=category))
    offer.locator("button[name=add_category]").click()
    expect(offer.locator(".in-cart-note")).to_be_visible()
    if shots:
        look(page, f"{shots}-2-shop")
    page.locator("#show-cart").click()
    expect(page).to_have_url(re.compile(r"/handlevogn/$"))


def checkout_button(page):
    buttons = page.locator("#checkout button[type=submit]")
    expect(buttons).to_have_count(1)  # one action, by the club's settings
    return buttons


def test_i_a_new_user_sends_for_approval(new_page, transactional_db):
    shop = make_club("godkjenn", approval=True, billing_day=15)
    page = new_page(*PHONE)
    new_user(page, invite(shop.club, "kari@example.no", "+4791234567"))
    myself_to_cart(page, shots="i")
    button = checkout_button(page)
    expect(button).to_have_text(re.compile("Send til godkjenning|Send for approval"))
    look(page, "i-3-cart")
    button.click()
    expect(page.locator("#receipt")).to_have_attribute("data-outcome", "approval")
    look(page, "i-4-receipt")
    with scopes_disabled():
        membership = Membership.objects.get(club=shop.club)
        assert membership.status == Membership.Status.SENT_FOR_APPROVAL
        assert membership.source == Membership.Source.INVITED
        assert membership.person.national_id == KARI_NID
        assert not Agreement.objects.filter(membership=membership).exists()
        assert not Invoice.objects.filter(club=shop.club).exists()
    subjects = [m.subject for m in messages_to("kari@example.no")]
    assert len(subjects) == 2  # the invitation and the receipt
    assert Registration.objects.get().invitation.status == "registered"


def test_ii_an_existing_user_activates_with_the_first_invoice_on_the_billing_day(
    new_page, transactional_db
):
    shop = make_club("fakturadag", billing_day=28)
    ola = adult("ola@example.no", first="Ola", born=date(1980, 1, 1))
    page = new_page(*PHONE)
    existing_user(page, invite(shop.club, "ola@example.no"), "ola@example.no")
    myself_to_cart(page, shots="ii")
    group = page.locator(".cart-lines")
    expect(group).to_contain_text("Ordinær")
    button = checkout_button(page)
    expect(button).to_have_text(re.compile("Aktiver medlemskap|Activate membership"))
    look(page, "ii-3-cart")
    button.click()
    expect(page.locator("#receipt")).to_have_attribute("data-outcome", "billing_day")
    look(page, "ii-4-receipt")
    with scopes_disabled():
        membership = Membership.objects.get(club=shop.club, person=ola.person)
        assert membership.status == Membership.Status.ACTIVE
        (agreement,) = Agreement.objects.filter(membership=membership)
        registration = Registration.objects.get()
    first = registration.first_invoice_date
    assert first.day == 28 and agreement.next_billing_date == first
    expect(page.locator("#receipt")).to_contain_text(first.strftime("%d.%m.%Y"))
    page.locator("#to-min-side").click()
    expect(page).to_have_url(re.compile(r"/min-side/$"))
    expect(page.locator("main")).to_contain_text(shop.club.name)


@pytest.mark.parametrize("decision", ["pay", "cancel"])
def test_iii_pay_now_by_card(new_page, transactional_db, decision):
    shop = make_club("betal", billing_day=0, card=True)
    page = new_page(*PHONE)
    new_user(page, invite(shop.club, "kari@example.no", "+4791234567"))
    myself_to_cart(page, shots="iii" if decision == "pay" else "")
    button = checkout_button(page)
    expect(button).to_have_text(re.compile(r"(Betal nå|Pay now) \(1\s200,00 kr\)"))
    button.click()
    expect(page).to_have_url(re.compile(r"/betaling/test/[^/]+/$"))
    with scopes_disabled():
        invoice = Invoice.objects.get(club=shop.club)
    assert invoice.payment_method == InvoicePaymentMethod.CARD and invoice.run is None
    page.locator(f"#test-{decision}").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_have_attribute("data-payment", "paid" if decision == "pay" else "cancelled")
    look(page, f"iii-{decision}-receipt")
    with scopes_disabled():
        invoice.refresh_from_db()
        membership = Membership.objects.get(club=shop.club)
        card = CardPayment.objects.get(invoice=invoice)
    assert membership.status == Membership.Status.ACTIVE  # paid or not
    with_pdf = [m for m in messages_to("kari@example.no") if m.attachments.exists()]
    if decision == "pay":
        assert invoice.status == Invoice.Status.PAID and card.status == "paid"
        assert with_pdf == []
    else:
        assert invoice.status == Invoice.Status.ISSUED and card.status == "cancelled"
        assert invoice.payment_method == InvoicePaymentMethod.PREPAID
        assert len(with_pdf) == 1 and str(invoice.number) in with_pdf[0].subject
        expect(page.locator("#pay-now")).to_be_visible()


def test_a_guardian_registers_two_children_with_the_keyboard(new_page, transactional_db):
    shop = make_club("familie", billing_day=15)
    kari = adult()
    page = new_page(*PHONE)
    existing_user(page, invite(shop.club, "kari@example.no"), "kari@example.no")
    children = [
        ("Ola", {"national_id": "03041650116"}),  # a national id number (born 03.04.2016)
        ("Per", {"birth_date": "05.06.2018"}),  # none: birth date and gender
    ]
    for i, (first, fields) in enumerate(children):
        if i:
            page.keyboard.press("Tab")  # from the receipt: "Register another person"
            page.locator("#register-more").focus()
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile(r"/velkommen/$"))
        new_child = page.locator("#who input[value=new_child]")
        new_child.focus()
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/barn/$"))
        if "national_id" in fields:
            page.locator("input[name=national_id]").focus()
            page.keyboard.type(fields["national_id"])
        else:
            page.locator("input[name=has_national_id][value=no]").focus()
            page.keyboard.press("Space")
            page.locator("input[name=birth_date]").focus()
            page.keyboard.type(fields["birth_date"])
            page.locator("input[name=gender][value=male]").focus()
            page.keyboard.press("Space")
        page.locator("input[name=first_name]").focus()
        page.keyboard.type(first)
        page.keyboard.press("Tab")
        page.keyboard.type("Nordmann")
        if i == 0:
            look(page, "child-1-form")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/medlemskap/$"))
        offer = page.locator(".offer", has=page.locator("h3", has_text="Ordinær"))
        expect(offer.locator(".price")).to_have_text("600,00 kr" if i == 0 else "300,00 kr")
        offer.locator("button[name=add_category]").focus()
        page.keyboard.press("Enter")
        expect(offer.locator(".in-cart-note")).to_be_visible()
        if i == 1:
            look(page, "child-2-shop-sibling")
        page.locator("#show-cart").focus()
        page.keyboard.press("Enter")
        checkout_button(page).focus()
        page.keyboard.press("Enter")
        expect(page.locator("#receipt")).to_contain_text(f"{first} Nordmann")
    look(page, "child-3-receipt")
    page.goto(page.url.split("/kvittering/")[0] + "/velkommen/")
    expect(page.locator("#registered li")).to_have_count(2)
    look(page, "child-4-welcome-again")
    with scopes_disabled():
        kids = {p.first_name: p for p in Person.objects.filter(guardians=kari.person)}
        assert set(kids) == {"Ola", "Per"}
        assert kids["Ola"].national_id == "03041650116"
        memberships = Membership.objects.filter(club=shop.club, person__in=kids.values())
        assert {m.status for m in memberships} == {"active"}
        assert len({m.household_id for m in memberships}) == 1
    totals = sorted(Registration.objects.values_list("total", flat=True))
    assert [str(t) for t in totals] == ["300.00", "600.00"]
    assert get_user_model().objects.filter(person__in=kids.values()).count() == 0
