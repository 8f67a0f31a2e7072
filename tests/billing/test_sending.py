"""Sending invoices and credit notes (issue 6 point 6, R-BIL-6): by e-mail through the
outbox with the stored PDF attached, in the club's voice; once however often it is
asked; a recipient without e-mail is listed for the post instead."""

import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django_scopes import scope, scopes_disabled
from pypdf import PdfReader

from billing import pdf, queries, sending, services
from billing.models import CreditNote, Invoice
from comms import services as comms_services
from comms.models import OutboundMessage

from .conftest import RUN_DATE, make_fee, make_member


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://ims.example.no"


@pytest.fixture
def invoices(club):
    """One run: Kari has e-mail, Per has none (his invoice goes by post)."""
    fee = make_fee(club, price="1250.00")
    make_member(club, "Kari", fee=fee)
    per = make_member(club, "Per", last="Post", fee=fee)
    with scopes_disabled():
        per.person.email = ""
        per.person.save()
    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        by_name = {i.recipient.first_name: i for i in Invoice.objects.filter(club=club)}
    return by_name["Kari"], by_name["Per"]


def messages(invoice) -> list[OutboundMessage]:
    with scopes_disabled():
        return list(OutboundMessage.objects.filter(person=invoice.recipient))


def deliver(message, mailoutbox):
    comms_services.send_message(message.pk)
    return mailoutbox[-1]


def test_the_invoice_goes_by_email_with_its_pdf_in_the_clubs_voice(
    club, invoices, mailoutbox, django_capture_on_commit_callbacks
):
    kari, _per = invoices
    club.accepts_card = True
    club.save()
    with django_capture_on_commit_callbacks(execute=False):
        message = sending.send_invoice(kari)
    kari.refresh_from_db()
    assert kari.sent_at is not None and kari.pdf
    assert message.to_address == "kari@example.no"
    assert message.subject == f"Invoice {kari.number} from Faktura IL"
    text = message.body_text
    for expected in ("1\xa0250,00 kr", "29.01.2026", kari.kid, "1234.56.78903", "Kontingent"):
        assert expected in text, expected
    assert "https://ims.example.no/min-side/" in text  # pay by card on Min side
    with scopes_disabled():
        (attachment,) = message.attachments.all()
    assert (attachment.filename, attachment.storage_name) == (
        f"invoice-{kari.number}.pdf",
        kari.pdf.name,
    )
    email = deliver(message, mailoutbox)
    assert email.subject == message.subject
    ((filename, content, mimetype),) = email.attachments
    assert (filename, mimetype) == (f"invoice-{kari.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF") and content == default_storage.open(kari.pdf.name).read()


def test_no_card_link_when_the_club_takes_no_card(club, invoices):
    kari, _per = invoices
    message = sending.send_invoice(kari)
    assert "min-side" not in message.body_text
    assert "Pay by card" not in message.body_html


def test_sending_twice_sends_once(club, invoices, mailoutbox):
    kari, _per = invoices
    first = sending.send_invoice(kari)
    with scope(club=club):
        stamp = Invoice.objects.get(pk=kari.pk).sent_at
        again = sending.send_invoice(Invoice.objects.get(pk=kari.pk))
        assert Invoice.objects.get(pk=kari.pk).sent_at == stamp  # the first time is kept
    assert again.pk == first.pk
    assert len(messages(kari)) == 1
    comms_services.send_message(first.pk)
    comms_services.send_message(first.pk)
    assert len(mailoutbox) == 1


def test_a_deliberate_resend_with_its_own_key_is_a_second_message(club, invoices):
    kari, _per = invoices
    first = sending.send_invoice(kari)
    again = sending.send_invoice(kari, key="billing:invoice-again:form-token-1")
    assert again.pk != first.pk
    with scopes_disabled():
        assert again.attachments.get().storage_name == first.attachments.get().storage_name


def test_no_email_means_not_sent_and_listed_for_the_post(club, invoices, mailoutbox):
    kari, per = invoices
    assert sending.send_invoice(per) is None
    per.refresh_from_db()
    assert per.sent_at is None and messages(per) == []
    with scope(club=club):
        assert list(sending.unsent_for_post(club)) == [per]
        assert list(sending.unsent_for_post(club, run=per.run)) == [per]
        sending.send_invoice(kari)
        assert list(sending.unsent_for_post(club)) == [per]  # Kari's went by e-mail
        assert sending.mark_posted([per]) == 1
        assert sending.mark_posted([per]) == 0  # the first time is kept
        assert list(sending.unsent_for_post(club)) == []


def test_a_credited_invoice_leaves_the_post_list(club, invoices):
    _kari, per = invoices
    services.credit_invoice(per, reason="Feil")
    with scope(club=club):
        assert list(sending.unsent_for_post(club)) == []


def test_a_credit_note_goes_to_the_invoices_recipient_once(club, invoices, mailoutbox):
    kari, per = invoices
    note = services.credit_invoice(kari, amount=Decimal("250.00"), reason="Rabatt")
    message = sending.send_credit_note(note)
    assert sending.send_credit_note(note).pk == message.pk
    assert message.subject == f"Credit note {note.number} from Faktura IL"
    assert "250,00 kr" in message.body_text and "Rabatt" in message.body_text
    assert "1\xa0000,00 kr" in message.body_text  # still to pay
    email = deliver(message, mailoutbox)
    ((filename, content, _mimetype),) = email.attachments
    assert filename == f"credit-note-{note.number}.pdf" and content.startswith(b"%PDF")
    # no e-mail: nothing sent
    assert sending.send_credit_note(services.credit_invoice(per)) is None


def test_an_emailed_credit_note_is_marked_sent_and_never_posted(club, invoices):
    kari, _per = invoices
    sending.send_invoice(kari)
    note = services.credit_invoice(kari, amount=Decimal("250.00"), reason="Rabatt")
    sending.send_credit_note(note)
    note.refresh_from_db()
    assert note.sent_at is not None
    with scope(club=club):
        assert list(queries.credit_notes_for_post(club)) == []


def test_a_credit_note_of_a_posted_invoice_goes_by_post_too(club, invoices):
    """A member without e-mail got the invoice by post: the credit note is put on the
    post list, printed in the merged PDF and marked posted once."""
    _kari, per = invoices
    with scope(club=club):
        sending.mark_posted([per])
    note = services.credit_invoice(per, amount=Decimal("250.00"), reason="Rabatt")
    assert sending.send_credit_note(note) is None
    with scope(club=club):
        assert list(queries.credit_notes_for_post(club)) == [note]
        merged = pdf.merged_pdf([note])
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(merged)).pages)
        assert f"{note.number}" in text and "Per Post" in text
        assert sending.mark_posted([note]) == 1
        assert sending.mark_posted([note]) == 0
        assert list(queries.credit_notes_for_post(club)) == []


def test_an_invoice_never_posted_and_credited_in_full_posts_nothing(club, invoices):
    _kari, per = invoices
    services.credit_invoice(per, reason="Feil")
    with scope(club=club):
        assert list(sending.unsent_for_post(club)) == []
        assert list(queries.credit_notes_for_post(club)) == []


def test_the_migration_marks_older_credit_notes_sent_except_those_for_the_post(club, invoices):
    """billing 0004: credit notes made before ``sent_at`` existed count as sent when made,
    except those of a posted invoice whose recipient has no e-mail."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("billing.migrations.0004_credit_note_sent_at")
    kari, per = invoices
    sending.send_invoice(kari)
    with scope(club=club):
        sending.mark_posted([per])
    emailed = services.credit_invoice(kari, amount=Decimal("100.00"))
    posted = services.credit_invoice(per, amount=Decimal("100.00"))
    with scopes_disabled():
        CreditNote.objects.filter(pk__in=[emailed.pk, posted.pk]).update(sent_at=None)
        migration.existing_notes_sent(apps, None)
        emailed.refresh_from_db()
        posted.refresh_from_db()
    assert emailed.sent_at == emailed.created_at
    assert posted.sent_at is None
