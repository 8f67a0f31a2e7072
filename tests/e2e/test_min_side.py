"""Min side in a real browser (R-ACT-6): the demo parent logs in through the form, lands
on Min side, finds their child's membership, and fixes their mobile number after a
wrong first try."""

import re

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from members.models import Membership, Person

from .conftest import log_in

pytestmark = pytest.mark.e2e

PARENT = "forelder-a@example.no"


def test_parent_sees_child_and_corrects_the_mobile(page, demo_clubs_tx):
    parent = get_user_model().objects.get(email=PARENT).person
    with scopes_disabled():
        membership = (
            Membership.objects.filter(club=demo_clubs_tx["a"], person__in=parent.children.all())
            .select_related("person")
            .order_by("pk")
            .first()
        )
    child = membership.person
    old_mobile = parent.mobile

    log_in(page, PARENT)
    expect(page).to_have_url(re.compile(r"/min-side/$"))  # no club role: lands here

    section = page.locator(f"#child-{child.public_id}")
    expect(section).to_contain_text(child.full_name)
    card = section.locator(f"#membership-{membership.pk}")
    expect(card).to_contain_text(demo_clubs_tx["a"].name)
    expect(card).to_contain_text(membership.member_number)
    expect(card).to_contain_text(membership.started_on.strftime("%d.%m.%Y"))
    expect(card.locator(".badge")).to_have_class(re.compile(rf"status-{membership.status}"))

    page.locator("#contact a.button").click()
    expect(page).to_have_url(re.compile(r"/min-side/contact/$"))
    mobile = page.locator("input[name=mobile]")
    mobile.fill("12 34")
    page.locator("main form button[type=submit]").click()

    error = page.locator(".field.has-error p.error")
    expect(error).to_have_count(1)
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator(".field.has-error input")).to_have_attribute("name", "mobile")
    expect(mobile).to_have_value(re.compile(r"^12 ?34$"))  # what they typed stays
    assert Person.objects.get(pk=parent.pk).mobile == old_mobile

    mobile.fill("912 34 567")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/min-side/$"))
    expect(page.locator(".msg-success")).to_be_visible()
    shown = page.locator("#contact").inner_text()
    assert "+4791234567" in re.sub(r"\s", "", shown), shown
    assert Person.objects.get(pk=parent.pk).mobile.as_e164 == "+4791234567"
