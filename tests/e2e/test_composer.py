"""The SMS composer in a real browser (R-COM-1, issue 5's acceptance): the club admin opens
the composer from the member overview, types 800 GSM-7 characters (æøå included) and the
part counter shows 6 parts; an emoji switches the counting to UCS-2 (70 characters, 67 per
part) and the parts are counted again; the estimate is parts × recipients; the preview
shows the same recipients. Nothing is sent."""

import re

import pytest
from playwright.sync_api import expect

from comms.sms import segments

from .conftest import log_in

pytestmark = pytest.mark.e2e

GSM_TEXT = ("Hei! Påminnelse om dugnad på lørdag, ta med blåbærsyltetøy og godt humør. " * 11)[:800]
EMOJI = "🙂"


def test_sms_counter_gsm7_then_ucs2(page, demo_clubs_tx):
    assert segments.count(GSM_TEXT) == (segments.GSM7, 6, 800)
    with_emoji = GSM_TEXT + EMOJI
    ucs2 = segments.count(with_emoji)
    assert ucs2.encoding == segments.UCS2 and ucs2.parts == 12  # 802 units, 67 per part

    log_in(page, "admin-a@example.no")
    page.goto("/club/demo-a/members/?status=active")
    page.locator("a.action-message").click()
    expect(page).to_have_url(re.compile(r"/club/demo-a/messages/new/\?filter=status%3Dactive$"))

    form = page.locator("form[data-composer]")
    recipients = int(form.get_attribute("data-sms-recipients"))
    assert recipients > 0
    counter = page.locator("#sms-counter")
    expect(counter).to_be_hidden()  # e-mail is chosen: no SMS counter
    page.locator("input[name=channel][value=sms]").check()
    expect(counter).to_be_visible()
    expect(page.locator("input[name=subject]")).to_be_hidden()

    text = page.locator("textarea[name=text]")
    text.fill(GSM_TEXT)
    expect(counter).to_have_attribute("data-parts", "6")
    expect(counter).to_have_attribute("data-encoding", "GSM-7")
    expect(counter).to_have_attribute("data-chars", "800")
    expect(counter).to_contain_text("800")
    expect(counter).to_contain_text("6")
    expect(counter).not_to_have_class(re.compile("too-long"))
    expect(page.locator("#sms-ucs2")).to_be_hidden()
    estimate = page.locator("#sms-estimate")
    expect(estimate).to_have_attribute("data-total", str(6 * recipients))
    expect(estimate).to_contain_text(str(6 * recipients))

    # An emoji typed at the end: the whole text is UCS-2 now.
    text.press("End")
    page.keyboard.insert_text(EMOJI)
    expect(text).to_have_value(with_emoji)
    expect(counter).to_have_attribute("data-encoding", "UCS-2")
    expect(counter).to_have_attribute("data-parts", str(ucs2.parts))
    expect(counter).to_have_attribute("data-chars", str(ucs2.chars))
    expect(counter).to_have_class(re.compile("too-long"))  # 802 > 800
    expect(page.locator("#sms-ucs2")).to_be_visible()
    expect(estimate).to_have_attribute("data-total", str(ucs2.parts * recipients))

    # 70 characters with an emoji fit one UCS-2 SMS, 71 take two (67 per part).
    text.fill("Hei " + EMOJI + "x" * 64)  # 4 + 2 + 64 = 70 units
    expect(counter).to_have_attribute("data-parts", "1")
    text.press("End")
    page.keyboard.insert_text("y")
    expect(counter).to_have_attribute("data-parts", "2")

    # The preview counts the same recipients, the SMS in all, and sends nothing yet.
    text.fill("Hei {fornavn}! Dugnad på lørdag kl. 10.")
    page.locator("form[data-composer] button[type=submit]").click()
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("#stat-recipients .num")).to_have_text(str(recipients))
    expect(page.locator("#stat-sms-total .num")).to_have_text(str(recipients))
    expect(page.locator("#send-button")).to_be_visible()
    expect(page.locator(".message-body.sms").first).to_contain_text("Dugnad på lørdag kl. 10.")
