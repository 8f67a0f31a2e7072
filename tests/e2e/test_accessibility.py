"""axe-core on the club admin's pages of issue 7 (R-REG-1, R-REG-7 (i), R-REG-8, R-SEC-6):
the invitation form (empty and with wrong entries), the list of invitations, the member
overview with its quick filters, the member card with the approval panel and the
consents, the confirmation of a rejection, and Min side with its consents — at desktop
and phone width. With SCREENSHOT_DIR set, each page is saved there to look at. The
first test shows that the check does find what it should."""

import os
import re
from datetime import date
from pathlib import Path

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from invitations import services
from invitations.models import Consent
from invitations.recipients import Entry
from members import services as member_services
from members.models import Membership
from tests.billing.conftest import make_fee
from tests.conftest import DEMO_PASSWORD
from tests.e2e.axe import assert_no_serious_violations, serious_violations
from tests.e2e.conftest import log_in
from tests.invitations.outbox import needs_optional_recipient

pytestmark = [pytest.mark.e2e]

ADMIN = "admin@elv-il.example.no"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def look(page, name: str) -> None:
    assert_no_serious_violations(page)
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_the_check_finds_a_missing_label_and_poor_contrast(page):
    page.set_content(
        '<html lang="nb"><head><title>Prøve</title></head><body><main><h1>Prøve</h1>'
        '<input type="text"><p style="color:#bbb;background:#fff">Grå tekst</p></main></body>'
        "</html>"
    )
    found = {v["id"]: v for v in serious_violations(page)}
    assert {"label", "color-contrast"} <= set(found)
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_no_serious_violations(page)
    message = str(failed.value)
    assert "label (critical)" in message and "color-contrast (serious)" in message
    assert "input" in message  # the element's selector


@pytest.fixture
def club(transactional_db):
    """A club with an admin, a member sent for approval who consented while registering,
    and two invitations."""
    with scopes_disabled():
        club = member_services.create_club("elv-il", "Elv Idrettslag", admin_email=ADMIN)
        club.email_sender = "post@elv-il.example.no"
        club.default_billing_day = 15
        club.save()
        admin = club.roles.get(kind="admin").user
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        person = member_services.create_person(
            first_name="Sara",
            last_name="Lie",
            birth_date=date(1990, 4, 4),
            email="sara@example.no",
        )
        waiting = member_services.add_membership(
            club,
            person,
            source=Membership.Source.SELF,
            status=Membership.Status.SENT_FOR_APPROVAL,
            category=make_fee(club, name="Ordinær", price="600.00").category,
        )
        for kind, version, for_club in (
            (Consent.Kind.SPORT_RULES, "nif-2024", None),
            (Consent.Kind.CLUB_TERMS, "a1b2c3d4", club),
        ):
            Consent.objects.create(
                person=person, club=for_club, kind=kind, version=version, text="Tekst"
            )
        other = member_services.create_person(first_name="Ola", last_name="Elv")
        member_services.add_membership(club, other, source=Membership.Source.ADMIN)
    club.waiting = waiting
    return club


@needs_optional_recipient
@pytest.mark.parametrize("size", SIZES)
def test_invitation_pages_have_no_serious_violations(new_page, club, size):
    services.send_invitations(
        club,
        [Entry(email="kari@example.no", phone="+4791234567"), Entry(email="ola@example.no")],
        key=f"axe-{size}",
    )
    page = new_page(*SIZES[size])
    log_in(page, ADMIN)
    page.goto(f"/club/{club.slug}/invitations/new/")
    look(page, f"invite-form-{size}")
    page.locator("textarea[name=recipients]").fill("kari@example\n912 34 567\n123")
    page.locator("form.invite-form button[type=submit]").click()
    expect(page.locator("#invalid-entries")).to_be_visible()
    look(page, f"invite-form-errors-{size}")
    page.goto(f"/club/{club.slug}/invitations/")
    expect(page.locator("main")).to_contain_text("kari@example.no")
    look(page, f"invite-list-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_overview_card_and_approval_have_no_serious_violations(new_page, club, size):
    page = new_page(*SIZES[size])
    log_in(page, ADMIN)
    page.goto(f"/club/{club.slug}/members/")
    chip = page.locator("#quick-sent_for_approval")
    expect(chip).to_contain_text("1")
    look(page, f"overview-filters-{size}")
    chip.click()
    expect(page.locator("#quick-sent_for_approval")).to_have_attribute("aria-current", "true")
    look(page, f"overview-sent-for-approval-{size}")
    page.locator("table.members tbody a", has_text="Lie").click()
    panel = page.locator("#panel-approval")
    expect(panel).to_be_visible()
    expect(page.locator("#panel-consents")).to_contain_text("nif-2024")
    look(page, f"card-approval-{size}")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]
    # reject without a reason: the browser asks for it; with one, the confirmation
    panel.locator("#reject-comment").fill("Vi tar ikke opp nye medlemmer før høsten.")
    panel.locator("button.danger").click()
    expect(page).to_have_url(re.compile(r"/approval/members/\d+/reject/$"))
    expect(page.locator("textarea[name=comment]")).to_have_value(
        "Vi tar ikke opp nye medlemmer før høsten."
    )
    look(page, f"approval-reject-confirm-{size}")
    page.locator("textarea[name=comment]").fill("")
    page.locator("form button.danger").evaluate("b => b.form.noValidate = true")
    page.locator("form button.danger").click()
    expect(page.locator(".field.has-error")).to_be_visible()
    look(page, f"approval-reject-error-{size}")
    page.goto(f"/club/{club.slug}/approval/members/{club.waiting.pk}/approve/")
    page.locator("textarea[name=comment]").fill("Velkommen i klubben!")
    page.locator("form button.primary").click()
    expect(page.locator(".messages")).to_contain_text(re.compile(r"\b15\.\d\d\.\d{4}"))
    expect(page.locator("#panel-approval")).to_contain_text("Velkommen i klubben!")
    look(page, f"card-approved-{size}")
    # the card fits the width: nothing wider than the viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]
    with scopes_disabled():
        assert Membership.objects.get(pk=club.waiting.pk).status == Membership.Status.ACTIVE


def test_min_side_consents_have_no_serious_violations(new_page, club):
    with scopes_disabled():
        user = member_services.get_or_create_user("sara@example.no", DEMO_PASSWORD)
        user.person = club.waiting.person
        user.save()
    page = new_page(*SIZES["phone"])
    log_in(page, "sara@example.no")
    page.goto("/min-side/")
    consents = page.locator("#panel-consents")
    expect(consents).to_contain_text("nif-2024")
    consents.locator("summary").first.click()
    look(page, "min-side-consents-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES["phone"][0]
