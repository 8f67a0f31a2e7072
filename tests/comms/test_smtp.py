"""E-mail through a real SMTP server started by the test (aiosmtpd): Django's SMTP backend
as configured by EMAIL_URL in production, both parts, sender and reply-to (issue 5)."""

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django_scopes import scopes_disabled

from comms import services
from comms.models import OutboundMessage

pytestmark = pytest.mark.integration


class Mailbox:
    """Accepts mail, but refuses nobody@ for good and busy@ for now."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy@"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "IMS <noreply@ims.example.no>"
    yield mailbox
    controller.stop()


def send(club, person, to, kind="transactional", key="smtp-1"):
    message = services.queue_email(
        club=club,
        person=person,
        to_address=to,
        template="comms/email/message",
        context={
            "subject": "Velkommen til høstsesongen, Kari",
            "body_text": "Trening på Østmarka & Årvoll kl. 18.",
        },
        kind=kind,
        idempotency_key=key,
    )
    services.send_message(message.pk)
    with scopes_disabled():
        return OutboundMessage.objects.get(pk=message.pk)


def test_email_arrives_with_both_parts_sender_and_reply_to(club, person, smtp_server):
    """R-REG-1/issue 5: the club's official name as sender (on the platform's address),
    the club's e-mail as reply-to, HTML and plain text parts."""
    message = send(club, person, "kari@example.no")
    assert message.status == OutboundMessage.Status.SENT
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "noreply@ims.example.no"
    assert envelope.rcpt_tos == ["kari@example.no"]
    mail = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert mail["From"].addresses[0].display_name == club.name
    assert mail["From"].addresses[0].addr_spec == "noreply@ims.example.no"
    assert str(mail["Reply-To"]) == "post@demo-a.example.no"
    assert str(mail["Subject"]) == "Velkommen til høstsesongen, Kari"
    assert mail["Message-ID"].strip("<>") == message.provider_message_id
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Trening på Østmarka & Årvoll kl. 18." in text
    assert "Trening på Østmarka &amp; Årvoll kl. 18." in html
    assert club.name in html and club.name in text
    assert "avmeld" not in text and mail["List-Unsubscribe"] is None


def test_newsletter_carries_the_unsubscribe_link(club, person, smtp_server):
    """R-COM-5: every newsletter has a signed unsubscribe link, in the footer and header."""
    send(club, person, "kari@example.no", kind="newsletter")
    mail = email.message_from_bytes(
        smtp_server.envelopes[0].original_content, policy=policy.default
    )
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    link = mail["List-Unsubscribe"].strip().strip("<>")
    assert link.startswith("https://ims.example.no/nyhetsbrev/avmeld/")
    assert link in text and link in html


def test_refused_address_fails_for_good(club, person, smtp_server):
    message = send(club, person, "nobody@example.no")
    assert message.status == OutboundMessage.Status.FAILED
    assert message.failure_reason == "The mail server refused the address nobody@example.no."


def test_busy_mailbox_is_tried_again(club, person, smtp_server):
    message = send(club, person, "busy@example.no")
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.attempts == 1
    assert "busy@example.no" in message.failure_reason


def test_server_down_is_temporary(club, person, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    message = send(club, person, "kari@example.no")
    assert message.status == OutboundMessage.Status.QUEUED
    assert message.failure_reason.startswith("The mail server could not be reached")
