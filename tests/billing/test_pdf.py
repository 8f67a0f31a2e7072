"""Invoice and credit note PDFs (R-BIL-5, R-BIL-6, DOMAIN.md §3): the recipient in the
envelope window and nothing else there, KID and amount as in the database, page numbers
on long terms, stored once, merged for the post, written by ``invoice_pdf``."""

import io
import re
from decimal import Decimal

import pdfplumber
import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled
from pypdf import PdfReader

from billing import services
from billing.models import CreditNote, Invoice, Payment, PriceRule
from billing.pdf import (
    merged_pdf,
    render_credit_note_pdf,
    render_invoice_pdf,
    store_credit_note_pdf,
    store_invoice_pdf,
)
from billing.pdf import services as pdf_services
from billing.pdf.rendering import url_fetcher

from .conftest import RUN_DATE, make_fee, make_member

MM = 72 / 25.4  # points per millimetre
# DOMAIN.md §3, form B: 85 x 45 mm, 20 mm from the left, 45 mm from the top
WINDOW = (20 * MM, 45 * MM, 105 * MM, 90 * MM)
ADDRESS = ["Kari Nordmann", "c/o Ola Nordmann", "Storgata 12 B", "0150 Oslo"]
ADDRESS_WORDS = " ".join(ADDRESS).split(" ")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def invoice(club):
    """A parent (with a c/o line) billed for two children priced by an age band."""
    with scopes_disabled():
        club.org_number = "923609016"
        club.terms = "Kontingenten betales forskuddsvis.\n\nUtmelding skjer skriftlig."
        club.save()
    fee = make_fee(
        club,
        price="1450.00",
        name="Medlemskontingent",
        rules=[{"kind": PriceRule.Kind.AGE_BAND, "max_age": 17, "percent": Decimal("40")}],
    )
    parent = make_member(club, "Kari", last="Nordmann", address="Storgata 12 B").person
    with scopes_disabled():
        parent.co_line = "Ola Nordmann"
        parent.save()
    for child in ("Emma", "Jakob"):
        make_member(
            club,
            child,
            last="Nordmann",
            birth=RUN_DATE.replace(year=2014),
            guardian=parent,
            fee=fee,
        )
    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        return Invoice.objects.select_related("club").get(club=club, recipient=parent)


def words_of(pdf: bytes, page: int = 0) -> list[dict]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return doc.pages[page].extract_words()


def text_of(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [" ".join((page.extract_text() or "").split()) for page in doc.pages]


def inside(word, box) -> bool:
    x0, top, x1, bottom = box
    return word["x0"] >= x0 and word["x1"] <= x1 and word["top"] >= top and word["bottom"] <= bottom


def overlaps(word, box) -> bool:
    x0, top, x1, bottom = box
    return word["x0"] < x1 and word["x1"] > x0 and word["top"] < bottom and word["bottom"] > top


def test_recipient_sits_in_the_envelope_window_and_nothing_else_does(invoice):
    """R-BIL-6: name, c/o, address, postal code and city inside form B's window, below
    its 17.7 mm return-address zone; no other word touches the window."""
    words = words_of(render_invoice_pdf(invoice))
    in_window = [w for w in words if overlaps(w, WINDOW)]
    assert all(inside(w, WINDOW) for w in in_window)
    assert [w["text"] for w in in_window] == ADDRESS_WORDS
    assert min(w["top"] for w in in_window) >= (45 + 17.7) * MM


def test_kid_account_and_amount_on_the_pdf_are_the_databases(invoice):
    """R-BIL-5: KID, account and amount due printed (facts and giro) equal the invoice."""
    page = text_of(render_invoice_pdf(invoice))[0].replace("\xa0", " ")
    total = invoice.total
    kroner = f"{int(total):,}".replace(",", " ")
    ore = f"{int(total * 100) % 100:02d}"
    assert invoice.kid and page.count(invoice.kid) >= 3  # facts, giro information, KID field
    assert f"Amount due {kroner},{ore} kr" in page
    assert f"{invoice.kid} {kroner} {ore} 1234.56.78903" in page  # the giro's bottom line
    assert "Due date 29.01.2026" in page
    assert "Org. no. 923 609 016" in page
    assert "MVA" not in page and "Not subject to VAT" in page
    with scopes_disabled():
        lines = list(invoice.lines.all())
    for line in lines:  # a description may wrap in its cell
        assert all(word in page for word in line.description.split())
        assert f"{line.amount:,.2f}".replace(",", " ").replace(".", ",") in page
    assert "15.01.2026–14.01.2027" in page
    assert "age up to 17" in page  # the price rule that applied


def test_vat_is_shown_per_rate_and_the_seller_as_vat_registered(club):
    fee = make_fee(club, price="1250.00", name="Drakt")
    with scopes_disabled():
        fee.vat_rate = Decimal("25")
        fee.save()
        club.org_number = "923609016"
        club.save()
    make_member(club, "Vera", fee=fee)
    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        invoice = Invoice.objects.select_related("club").get(club=club)
    page = text_of(render_invoice_pdf(invoice))[0].replace("\xa0", " ")
    assert invoice.vat_total == Decimal("250.00")
    assert "Total excluding VAT 1 000,00" in page
    assert "VAT 25 % of 1 000,00 250,00" in page
    assert "923 609 016 MVA" in page


def test_long_terms_flow_onto_further_pages_each_numbered(club, invoice):
    """R-BIL-5: terms of 5,000 words; every page says "Page X of Y"."""
    with scopes_disabled():
        club.terms = "\n\n".join(
            " ".join(f"vilkår{p}ord{w}" for w in range(100)) for p in range(50)
        )
        club.save()
        invoice = Invoice.objects.select_related("club").get(pk=invoice.pk)
    pages = text_of(render_invoice_pdf(invoice))
    assert len(pages) >= 4
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
    everything = " ".join(pages)
    assert "vilkår0ord0" in everything and "vilkår49ord99" in everything
    assert pages[0].count("GIRO") == 1 and all("GIRO" not in p for p in pages[1:])
    assert all(f"Invoice {invoice.number} · Faktura IL" in p for p in pages[1:])


def test_credit_note_references_the_invoice_and_has_nothing_to_pay(invoice):
    note = services.credit_invoice(invoice, amount=Decimal("200.00"), reason="Feil sats")
    with scopes_disabled():
        note = CreditNote.objects.select_related("club", "invoice__club").get(pk=note.pk)
    pdf = render_credit_note_pdf(note)
    page = text_of(pdf)[0].replace("\xa0", " ")
    assert f"Credit note no. {note.number}" in page
    assert f"Credits invoice no. {invoice.number}" in page
    assert f"KID {invoice.kid}" in page
    assert "Amount credited -200,00 kr" in page
    assert "Reason: Feil sats" in page
    assert "GIRO" not in page
    window = [w["text"] for w in words_of(pdf) if overlaps(w, WINDOW)]
    assert window == ADDRESS_WORDS


def test_full_credit_lists_the_invoice_lines_negative(invoice):
    note = services.credit_invoice(invoice)
    with scopes_disabled():
        note = CreditNote.objects.select_related("club", "invoice__club").get(pk=note.pk)
    page = text_of(render_credit_note_pdf(note))[0].replace("\xa0", " ")
    with scopes_disabled():
        lines = list(invoice.lines.all())
    for line in lines:
        assert f"-{line.amount:,.2f}".replace(",", " ").replace(".", ",") in page


def test_store_renders_once_and_keeps_the_file(invoice, media, monkeypatch):
    """R-BIL-5: an issued invoice's PDF is stored once and never rendered again."""
    stored = store_invoice_pdf(invoice)
    name = stored.pdf.name
    assert re.fullmatch(
        rf"invoices/{invoice.club_id}/invoice-{invoice.number}-[0-9a-f]{{16}}\.pdf", name
    )
    with scopes_disabled():
        fresh = Invoice.objects.select_related("club").get(pk=invoice.pk)
    monkeypatch.setattr(pdf_services, "render_invoice_pdf", lambda inv: pytest.fail("rendered"))
    assert store_invoice_pdf(fresh).pdf.name == name
    assert list((media / "invoices" / str(invoice.club_id)).iterdir()) == [media / name]
    assert PdfReader(media / name).pages


def test_two_workers_storing_at_once_keep_one_file(invoice, media, monkeypatch):
    """The loser of the conditional update removes its own file and takes the winner's."""
    real = pdf_services.render_invoice_pdf
    winner = {}

    def render_while_another_worker_stores(inv):
        monkeypatch.setattr(pdf_services, "render_invoice_pdf", real)
        with scopes_disabled():
            other = Invoice.objects.select_related("club").get(pk=inv.pk)
        winner["name"] = store_invoice_pdf(other).pdf.name
        return real(inv)

    monkeypatch.setattr(pdf_services, "render_invoice_pdf", render_while_another_worker_stores)
    assert store_invoice_pdf(invoice).pdf.name == winner["name"]
    assert list((media / "invoices" / str(invoice.club_id)).iterdir()) == [media / winner["name"]]


def test_credit_note_pdf_is_stored_once(invoice, media):
    note = services.credit_invoice(invoice)
    first = store_credit_note_pdf(note).pdf.name
    assert first.startswith(f"credit-notes/{invoice.club_id}/credit-note-{note.number}-")
    assert store_credit_note_pdf(note).pdf.name == first


def test_merged_pdf_holds_every_invoice_for_the_post(club, invoice):
    fee = make_fee(club, price="500.00", name="Trening")
    make_member(club, "Per", fee=fee)
    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        invoices = list(Invoice.objects.filter(club=club).select_related("club").order_by("number"))
    assert len(invoices) == 2
    merged = PdfReader(io.BytesIO(merged_pdf(invoices)))
    assert len(merged.pages) == 2
    texts = [page.extract_text() for page in merged.pages]
    assert invoices[0].kid in texts[0] and invoices[1].kid in texts[1]
    assert all(inv.pdf for inv in invoices)


def test_invoice_pdf_command_writes_the_stored_pdf(club, invoice, tmp_path):
    out = tmp_path / "faktura.pdf"
    call_command("invoice_pdf", str(invoice.number), str(out), club=club.slug, stdout=io.StringIO())
    with scopes_disabled():
        stored = Invoice.objects.get(pk=invoice.pk).pdf
    assert stored and out.read_bytes() == stored.read()
    with pytest.raises(CommandError, match="No club"):
        call_command("invoice_pdf", "1", str(out), club="finnes-ikke")
    with pytest.raises(CommandError, match="no invoice number 999"):
        call_command("invoice_pdf", "999", str(out), club=club.slug)


def test_logo_is_read_from_storage_and_nothing_from_the_network(club, invoice):
    from django.core.files.base import ContentFile
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (60, 30), (20, 80, 160)).save(png, "PNG")
    with scopes_disabled():
        club.logo.save("logo.png", ContentFile(png.getvalue()))
        invoice = Invoice.objects.select_related("club").get(pk=invoice.pk)
    with pdfplumber.open(io.BytesIO(render_invoice_pdf(invoice))) as doc:
        assert len(doc.pages[0].images) == 1
    fetch = url_fetcher()
    refused = ("http://example.com/logo.png", "file:///etc/passwd", "media:../../etc/passwd")
    for url in (*refused, "ftp://example.com/logo.png"):
        with pytest.raises(Exception, match="not a local resource|disallowed|outside"):
            fetch(url)


def test_run_queues_the_pdfs_in_chunks_after_commit(
    club, monkeypatch, django_capture_on_commit_callbacks
):
    """The run's hook: its invoices' PDFs go to the pdf queue, 100 per task."""
    from billing.pdf import tasks

    queued = []
    monkeypatch.setattr(tasks, "CHUNK", 2)
    monkeypatch.setattr(tasks.issue_invoices, "delay", lambda ids, send: queued.append((ids, send)))
    fee = make_fee(club)
    for name in ("Anne", "Bjørn", "Cecilie"):
        make_member(club, name, fee=fee)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        ids = list(Invoice.objects.filter(run=run).order_by("number").values_list("pk", flat=True))
    assert queued == [(ids[:2], False), (ids[2:], False)]


def test_run_without_sending_stores_every_pdf_and_sends_none(
    club, django_capture_on_commit_callbacks
):
    """Tasks inline (as without a broker): the hook's tasks store every PDF of the run;
    a run that does not send leaves them unsent."""
    from ims.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        fee = make_fee(club)
        for name in ("Anne", "Bjørn"):
            make_member(club, name, fee=fee)
        with django_capture_on_commit_callbacks(execute=True):
            run = services.run_invoices(club, RUN_DATE, send=False)
    finally:
        app.conf.task_always_eager = eager
    with scopes_disabled():
        invoices = list(Invoice.objects.filter(run=run))
    assert len(invoices) == 2
    assert all(inv.pdf and inv.sent_at is None for inv in invoices)


def test_run_that_sends_stores_and_emails_each_invoice_once(
    club, settings, django_capture_on_commit_callbacks
):
    """send=True: each PDF stored, then ``billing.sending`` e-mails it with the PDF; the
    same task again sends nothing more; no e-mail address, no message (for the post)."""
    from billing.pdf import issue_invoices
    from comms.models import OutboundMessage
    from ims.celery import app

    settings.SITE_URL = "https://ims.example.no"
    fee = make_fee(club)
    make_member(club, "Anne", fee=fee)
    post = make_member(club, "Per", fee=fee).person
    with scopes_disabled():
        post.email = ""
        post.save()
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run = services.run_invoices(club, RUN_DATE, send=True)
        with scopes_disabled():
            ids = list(Invoice.objects.filter(run=run).values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            issue_invoices.delay(ids, True)
    finally:
        app.conf.task_always_eager = eager
    with scopes_disabled():
        sent = {inv.recipient_name: inv for inv in Invoice.objects.filter(run=run)}
        emailed = list(
            OutboundMessage.objects.filter(club=club).values_list("to_address", flat=True)
        )
    assert all(inv.pdf for inv in sent.values())
    assert sent["Anne Hansen"].sent_at is not None and sent["Per Hansen"].sent_at is None
    assert emailed == ["anne@example.no"]


def test_credit_note_pdf_is_queued_and_sent_only_if_the_invoice_was(
    invoice, monkeypatch, django_capture_on_commit_callbacks
):
    from billing.pdf import tasks

    queued = []
    monkeypatch.setattr(
        tasks.issue_credit_note, "delay", lambda pk, send: queued.append((pk, send))
    )
    with django_capture_on_commit_callbacks(execute=True):
        note = services.credit_invoice(invoice, amount=Decimal("100.00"))
    assert queued == [(note.pk, False)]
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(sent_at="2026-01-15T10:00:00+01:00")
    with django_capture_on_commit_callbacks(execute=True):
        second = services.credit_invoice(invoice, amount=Decimal("100.00"))
    assert queued[-1] == (second.pk, True)


def test_paid_invoice_pdf_is_the_stored_one(invoice, media):
    """A payment later changes the status, not the stored PDF."""
    name = store_invoice_pdf(invoice).pdf.name
    before = (media / name).read_bytes()
    services.record_payment(
        invoice,
        club=invoice.club,
        amount=invoice.total,
        method=Payment.Method.MANUAL,
        paid_on=RUN_DATE,
    )
    with scopes_disabled():
        again = store_invoice_pdf(Invoice.objects.select_related("club").get(pk=invoice.pk))
    assert again.pdf.name == name and (media / name).read_bytes() == before
