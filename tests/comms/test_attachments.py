"""Attachments in the outbox (R-BIL-6: the invoice PDF is sent as an attachment): the
message keeps the stored file's name, not its bytes; the file is read from storage when
the message is sent; the same key twice is one message with one set of attachments; a
file missing from storage is refused when queued and fails the send for good when it
disappears in between."""

import email
from email import policy

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_scopes import scopes_disabled

from comms import services
from comms.models import OutboundAttachment, OutboundMessage
from comms.services import Attachment

from .test_smtp import smtp_server  # noqa: F401 (a fixture)

PDF = b"%PDF-1.4\n% a small stand-in for an invoice\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def stored_pdf():
    return default_storage.save("invoices/faktura-123.pdf", ContentFile(PDF))


def queue(club, person, attachments, key="att-1"):
    return services.queue_email(
        club=club,
        person=person,
        to_address=person.email,
        template="comms/email/message",
        context={"subject": "Faktura 123", "body_text": "Fakturaen ligger vedlagt."},
        idempotency_key=key,
        attachments=attachments,
    )


def reload(message) -> OutboundMessage:
    with scopes_disabled():
        return OutboundMessage.objects.get(pk=message.pk)


def test_the_message_keeps_the_file_name_and_the_send_attaches_the_bytes(
    club, person, stored_pdf, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(
            club, person, [Attachment("Faktura 123.pdf", "application/pdf", stored_pdf)]
        )
    row = OutboundAttachment.objects.get(message=message)
    assert (row.filename, row.content_type, row.storage_name) == (
        "Faktura 123.pdf",
        "application/pdf",
        stored_pdf,
    )
    assert reload(message).status == OutboundMessage.Status.SENT
    (sent,) = mailoutbox
    assert sent.attachments == [("Faktura 123.pdf", PDF, "application/pdf")]


def test_same_key_twice_is_one_message_with_one_attachment(
    club, person, stored_pdf, mailoutbox, django_capture_on_commit_callbacks
):
    files = [Attachment("Faktura 123.pdf", "application/pdf", stored_pdf)]
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(club, person, files)
        again = queue(club, person, files)
    assert first.pk == again.pk
    assert OutboundAttachment.objects.filter(message=first).count() == 1
    assert len(mailoutbox) == 1


def test_a_file_missing_from_storage_is_refused_when_queued(club, person, mailoutbox):
    with pytest.raises(services.CommsError, match="Faktura 9.pdf"):
        queue(club, person, [Attachment("Faktura 9.pdf", "application/pdf", "invoices/nope.pdf")])
    with scopes_disabled():
        assert not OutboundMessage.objects.filter(idempotency_key="att-1").exists()


def test_a_file_gone_before_the_send_fails_it_for_good(club, person, stored_pdf, mailoutbox):
    message = queue(club, person, [Attachment("Faktura 123.pdf", "application/pdf", stored_pdf)])
    default_storage.delete(stored_pdf)
    assert services.send_message(message.pk) is None
    message = reload(message)
    assert message.status == OutboundMessage.Status.FAILED
    assert "Faktura 123.pdf" in message.failure_reason
    assert mailoutbox == []


def test_messages_without_attachments_send_as_before(club, person, mailoutbox):
    message = queue(club, person, [])
    services.send_message(message.pk)
    assert reload(message).status == OutboundMessage.Status.SENT
    assert mailoutbox[0].attachments == []


@pytest.mark.integration
def test_the_pdf_arrives_through_a_real_smtp_server(club, person, stored_pdf, smtp_server):  # noqa: F811
    message = queue(club, person, [Attachment("Faktura 123.pdf", "application/pdf", stored_pdf)])
    services.send_message(message.pk)
    assert reload(message).status == OutboundMessage.Status.SENT
    (envelope,) = smtp_server.envelopes
    parsed = email.message_from_bytes(envelope.content, policy=policy.default)
    (part,) = list(parsed.iter_attachments())
    assert part.get_filename() == "Faktura 123.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == PDF
