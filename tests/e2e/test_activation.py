"""Activation in a real browser (R-ACT-1, R-ACT-2, R-ACT-4): the club admin activates
demo-a with the button (confirmation step first); a member opens the verification link
from the e-mail, confirms, follows the Min side invitation from the next e-mail, creates
the login and sees the membership on Min side. The links are read from the outbox.

Tasks run inline here (the activation task and the sends), as in ``make run``.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from comms.models import OutboundMessage
from ims.celery import app
from invitations.contacts import contact_for
from invitations.models import MinSideInvite, VerificationRequest
from members.models import Membership

from .conftest import log_in

pytestmark = pytest.mark.e2e

PASSWORD = "Sommer-i-Lofoten-77"


@pytest.fixture
def inline_tasks(settings):
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.SITE_URL = "http://testserver.invalid"
    yield
    app.conf.task_always_eager = eager


def path_in(text: str, marker: str) -> str:
    """The path of the first link in an e-mail that contains ``marker``."""
    url = re.search(rf"https?://\S+{re.escape(marker)}\S+/", text).group(0)
    return "/" + url.split("/", 3)[3]


def a_pending_adult(club) -> Membership:
    """A pending demo-a member who is asked at their own address and has no login."""
    User = get_user_model()
    with scopes_disabled():
        pending = (
            Membership.objects.filter(club=club, status=Membership.Status.PENDING)
            .select_related("person")
            .prefetch_related("person__guardians")
            .order_by("pk")
        )
        for m in pending:
            contact = contact_for(m)
            if (
                contact
                and not contact.is_guardian
                and not User.objects.filter(person=m.person).exists()
            ):
                return m
    pytest.skip("the demo data has no pending adult with an e-mail address")


def test_activate_confirm_and_create_min_side_login(new_page, demo_clubs_tx, inline_tasks):
    club = demo_clubs_tx["a"]
    membership = a_pending_adult(club)
    person = membership.person

    # The club admin activates the club: a confirmation step, then the result page.
    admin = new_page()
    log_in(admin, "admin-a@example.no")
    admin.goto("/club/demo-a/")
    admin.locator("nav.clubnav a", has_text="Aktivering").or_(
        admin.locator("nav.clubnav a", has_text="Activation")
    ).click()
    expect(admin).to_have_url(re.compile(r"/club/demo-a/activation/$"))
    admin.locator("#activate a.button.primary").click()
    expect(admin).to_have_url(re.compile(r"/club/demo-a/activation/activate/$"))
    admin.locator("main form button[type=submit].primary").click()
    expect(admin).to_have_url(re.compile(r"/club/demo-a/activation/$"))
    expect(admin.locator(".msg-success")).to_have_count(1)
    expect(admin.locator("#stat-to-ask .num")).to_have_text("0")

    with scopes_disabled():
        request = VerificationRequest.objects.select_related("message").get(membership=membership)
        assert request.message.status == OutboundMessage.Status.SENT
    confirm_path = path_in(request.message.body_text, "/bekreft/")

    # The member opens the link from the e-mail and presses the button.
    member = new_page(390, 844)
    member.goto(confirm_path)
    button = member.locator("#confirm form button[type=submit]")
    expect(button).to_be_visible()
    expect(member.locator("#confirm")).to_contain_text(person.first_name)
    button.click()
    expect(member.locator("#confirm.outcome-confirmed")).to_be_visible()
    with scopes_disabled():
        membership.refresh_from_db()
        assert membership.status == Membership.Status.ACTIVE
        invite = MinSideInvite.objects.select_related("message").get(person=person)
        assert invite.message.status == OutboundMessage.Status.SENT
    invite_path = path_in(invite.message.body_text, "/min-side/invitasjon/")

    # The second e-mail: create the login (the e-mail is suggested) and land on Min side.
    member.goto(invite_path)
    email = member.locator("input[name=email]")
    expect(email).to_have_value(request.email)
    member.locator("input[name=password1]").fill(PASSWORD)
    member.locator("input[name=password2]").fill(PASSWORD + "!")
    member.locator("main form button[type=submit]").click()
    expect(member.locator(".field.has-error input[name=password2]")).to_be_visible()
    member.locator("input[name=password1]").fill(PASSWORD)
    member.locator("input[name=password2]").fill(PASSWORD)
    member.locator("main form button[type=submit]").click()

    expect(member).to_have_url(re.compile(r"/min-side/$"))
    card = member.locator(f"#membership-{membership.pk}")
    expect(card).to_contain_text(club.name)
    expect(card.locator(".badge")).to_have_class(re.compile(r"status-active"))
    user = get_user_model().objects.get(person=person)
    assert user.email == request.email and user.check_password(PASSWORD)

    # The link again, after it was used: a clear refusal for anyone else.
    stranger = new_page()
    stranger.goto(invite_path)
    expect(stranger.locator("#invite.invite-used h1")).to_be_visible()
    expect(stranger.locator("input[name=password1]")).to_have_count(0)
