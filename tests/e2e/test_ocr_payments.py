"""OCR Giro payments in a real browser (R-BIL-7, issue 8 points 3 and 7): the demo club's
admin uploads an OCR file from Nets, reads the counts, opens the unmatched payment,
finds the invoice it pays by name and places it after the confirmation; axe-core on
each page."""

import re

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from billing.kid import make_kid
from billing.models import Invoice, Payment
from tests.billing.ocr_files import Tx, ocr_file

from .axe import assert_no_serious_violations
from .conftest import log_in

pytestmark = pytest.mark.e2e

SHOTS = None  # a folder name here saves screenshots to look at


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_upload_an_ocr_file_and_place_the_unmatched_payment(new_page, demo_clubs_tx, tmp_path):
    club = demo_clubs_tx["a"]
    with scopes_disabled():
        paid, placed = list(
            Invoice.objects.filter(club=club, status="issued", payments=None).order_by("number")[:2]
        )
    account = club.bank_account or paid.seller_account
    path = tmp_path / "OCR.D020226.txt"
    path.write_bytes(
        ocr_file(
            [Tx(paid.kid, paid.total), Tx(make_kid(99999, len(paid.kid)), placed.total)],
            account=account,
        )
    )
    page = new_page()
    log_in(page, demo_clubs_tx["admin_a"].email)

    page.goto(f"/club/{club.slug}/billing/ocr/")
    assert_no_serious_violations(page)
    page.get_by_label(re.compile("OCR")).set_input_files(str(path))
    page.locator("#ocr-upload button[type=submit]").click()
    expect(page.locator("#ocr-result")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text(re.compile(r"2 (transaksjoner|transactions)"))
    assert_no_serious_violations(page)
    _shot(page, "ocr-file")

    page.goto(f"/club/{club.slug}/billing/payments/unmatched/")
    assert_no_serious_violations(page)
    _shot(page, "ocr-unmatched")
    page.locator("a.button", has_text=re.compile("Plasser|Place")).first.click()
    page.locator("#place-search input[name=q]").fill(placed.recipient_name.split()[0])
    page.locator("#place-search input[name=q]").press("Enter")
    page.locator(f"#place-search tr:has-text('{placed.kid}') a.button").click()
    expect(page.locator("#place-confirm")).to_be_visible()
    assert_no_serious_violations(page)
    _shot(page, "ocr-place")
    page.locator("#place-confirm button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/billing/payments/unmatched/$"))
    _shot(page, "ocr-unmatched-after")

    page.goto(f"/club/{club.slug}/billing/payments/")
    assert_no_serious_violations(page)
    _shot(page, "ocr-payments")
    with scopes_disabled():
        assert Invoice.objects.get(pk=paid.pk).status == "paid"
        assert Invoice.objects.get(pk=placed.pk).status == "paid"
        assert not Payment.objects.filter(club=club, invoice=None, provider="ocr").exists()
