"""The outbox: written in the caller's transaction, sent after commit, once (R-COM-4)."""

from django_scopes import scopes_disabled

from comms import services
from comms.models import OutboundMessage

Status = OutboundMessage.Status


def _queue(club, person, key="k1", **kw):
    return services.queue_email(
        club=club,
        person=person,
        to_address=person.email,
        template="comms/email/message",
        context={"subject": "Hei {fornavn}", "body_text": "Trening i dag.", "body_html": "x"},
        idempotency_key=key,
        **kw,
    )


def test_email_is_sent_after_commit_once(
    club, person, mailoutbox, django_capture_on_commit_callbacks
):
    """R-COM-4: queued in the transaction, sent by the task after commit."""
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue(club, person)
        assert mailoutbox == []
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["kari@example.no"]


def test_same_key_twice_sends_once(club, person, mailoutbox, django_capture_on_commit_callbacks):
    """R-COM-4: the idempotency key makes a double submit harmless."""
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue(club, person)
        second = _queue(club, person)
    assert first.pk == second.pk
    assert len(mailoutbox) == 1
    with scopes_disabled():
        assert OutboundMessage.objects.filter(idempotency_key="k1").count() == 1
