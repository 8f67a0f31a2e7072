"""The outbox: written in the caller's transaction, sent after commit, once; retried with
backoff on temporary failure; a plain reason on permanent failure (R-COM-4); newsletters
respect the opt-out, transactional messages do not (R-COM-5)."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from comms import services, tasks
from comms.errors import PermanentFailure, TemporaryFailure
from comms.models import OutboundMessage, SendBatch
from comms.services import Recipient
from members.models import Person

Status = OutboundMessage.Status


def queue(club, person, key="k1", kind="transactional", **kw):
    return services.queue_email(
        club=club,
        person=person,
        to_address=person.email,
        template="comms/email/message",
        context={"subject": "Trening", "body_text": "Trening i dag kl. 18.", "body_html": "x"},
        kind=kind,
        idempotency_key=key,
        **kw,
    )


def reload(message):
    with scopes_disabled():
        return OutboundMessage.objects.get(pk=message.pk)


# --- Idempotency and transactions ----------------------------------------------------------


def test_email_is_written_now_and_sent_after_commit(
    club, person, mailoutbox, django_capture_on_commit_callbacks
):
    """R-COM-4: the row is written in the caller's transaction, sent after commit."""
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(club, person)
        assert reload(message).status == Status.QUEUED
        assert mailoutbox == []
    message = reload(message)
    assert message.status == Status.SENT
    assert message.sent_at is not None and message.attempts == 1
    assert [m.to for m in mailoutbox] == [["kari@example.no"]]


def test_same_key_twice_sends_once(club, person, mailoutbox, django_capture_on_commit_callbacks):
    """R-COM-4: calling twice with one idempotency key queues and sends one message."""
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(club, person)
        second = queue(club, person)
    with django_capture_on_commit_callbacks(execute=True):
        third = queue(club, person)  # later, after it was sent
    assert first.pk == second.pk == third.pk
    assert len(mailoutbox) == 1
    with scopes_disabled():
        assert OutboundMessage.objects.filter(idempotency_key="k1").count() == 1


def test_sending_a_sent_message_again_does_nothing(club, person, mailoutbox, sms_outbox):
    """R-COM-4: a repeated task (redelivery, sweep) finds the row sent and stops."""
    message = queue(club, person)
    services.send_message(message.pk)
    services.send_message(message.pk)
    tasks.send_message.delay(message.pk)
    assert len(mailoutbox) == 1
    assert reload(message).attempts == 1


def test_rolled_back_change_sends_nothing(
    club, person, mailoutbox, django_capture_on_commit_callbacks
):
    """DESIGN.md outbox: a message for a change that was rolled back is never sent."""
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue(club, person)
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert mailoutbox == []
    with scopes_disabled():
        assert not OutboundMessage.objects.filter(idempotency_key="k1").exists()


# --- Temporary and permanent failures --------------------------------------------------------


def sms(club, person, key="s1", text="Hei! Trening i dag.", **kw):
    return services.queue_sms(
        club=club, person=person, to_number=person.mobile, text=text, idempotency_key=key, **kw
    )


def test_temporary_failure_stays_queued_and_backs_off(club, person, sms_outbox):
    """R-COM-4: a temporary failure is retried later, each time after a longer pause."""
    message = sms(club, person)
    sms_outbox.fail_with = [TemporaryFailure("busy")] * 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert services.send_message(message.pk) == 60
    m = reload(message)
    assert (m.status, m.attempts, m.failure_reason) == (Status.QUEUED, 1, "busy")
    assert m.next_attempt_at == start + timedelta(seconds=60)

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert services.send_message(message.pk) is None  # not due yet: nothing happens
    assert reload(message).attempts == 1

    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert services.send_message(message.pk) == 120
    with time_machine.travel(start + timedelta(seconds=182), tick=False):
        assert services.send_message(message.pk) == 240
    with time_machine.travel(start + timedelta(seconds=423), tick=False):
        assert services.send_message(message.pk) is None
    m = reload(message)
    assert (m.status, m.attempts, m.failure_reason) == (Status.SENT, 4, "")
    assert len(sms_outbox.sent) == 1


def test_backoff_grows_to_a_ceiling():
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert services.backoff_seconds(30) == 6 * 3600


def test_the_task_asks_celery_to_retry(club, person, sms_outbox):
    """R-COM-4: a temporary failure makes the task retry (Celery's own retry)."""
    from celery.exceptions import Retry

    message = sms(club, person)
    sms_outbox.fail_with = [TemporaryFailure("busy")]
    with pytest.raises(Retry):
        tasks.send_message(message.pk)  # called directly, as a worker would run it


def test_gives_up_after_max_attempts(club, person, sms_outbox):
    message = sms(club, person)
    sms_outbox.fail_with = [TemporaryFailure("The SMS gateway is unavailable (HTTP 503).")] * 9
    when = timezone.now()
    for _ in range(services.MAX_ATTEMPTS):
        with time_machine.travel(when, tick=False):
            services.send_message(message.pk)
        when += timedelta(hours=7)
    m = reload(message)
    assert m.status == Status.FAILED
    assert m.attempts == services.MAX_ATTEMPTS
    assert m.failure_reason.startswith("Gave up after 8 attempts")
    assert "HTTP 503" in m.failure_reason


def test_permanent_failure_is_failed_with_reason(club, person, sms_outbox):
    """R-COM-4: a permanent failure is not retried; the reason is kept in plain words."""
    message = sms(club, person)
    sms_outbox.fail_with = [PermanentFailure("The SMS gateway refused the number: unknown")]
    assert services.send_message(message.pk) is None
    m = reload(message)
    assert m.status == Status.FAILED
    assert m.failure_reason == "The SMS gateway refused the number: unknown"
    assert m.failed_at is not None
    services.send_message(message.pk)
    assert sms_outbox.sent == []


def test_unexpected_error_counts_as_temporary(club, person, sms_outbox):
    message = sms(club, person)
    sms_outbox.fail_with = [ZeroDivisionError("division by zero")]
    assert services.send_message(message.pk) == 60
    m = reload(message)
    assert m.status == Status.QUEUED
    assert "division by zero" in m.failure_reason


# --- The sweep ----------------------------------------------------------------------------


def test_sweep_requeues_only_messages_stuck_in_queued(club, person, sms_outbox):
    """DESIGN.md: a periodic sweep re-queues rows stuck in queued (a lost task)."""
    stuck = sms(club, person, key="stuck")
    fresh = sms(club, person, key="fresh")
    done = sms(club, person, key="done")
    services.send_message(done.pk)
    with scopes_disabled():
        OutboundMessage.objects.filter(pk__in=[stuck.pk, done.pk]).update(
            next_attempt_at=timezone.now() - timedelta(minutes=11)
        )
    with transaction.atomic():  # the sweep queues after its own commit
        pass
    assert services.sweep_stuck() == 1
    assert reload(fresh).status == Status.QUEUED
    assert services.sweep_stuck() == 0  # not again before another 10 minutes


def test_sweep_sends_them(club, person, sms_outbox, django_capture_on_commit_callbacks):
    stuck = sms(club, person, key="stuck")
    with scopes_disabled():
        OutboundMessage.objects.filter(pk=stuck.pk).update(
            next_attempt_at=timezone.now() - timedelta(hours=1)
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.sweep_stuck()
    assert reload(stuck).status == Status.SENT
    assert len(sms_outbox.sent) == 1


def test_beat_runs_the_sweep(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["comms-sweep-stuck"]
    assert entry["task"] == tasks.sweep_stuck.name
    assert settings.CELERY_TASK_ROUTES["comms.*"]["queue"] == "messages"


# --- Two workers, one message ----------------------------------------------------------------


class BlockingSmsBackend:
    """The first send waits until the test releases it; all sends are recorded."""

    entered = threading.Event()
    release = threading.Event()
    sent: list[str] = []

    def send(self, sender, to, text, *, reference=""):
        if not BlockingSmsBackend.sent and not BlockingSmsBackend.entered.is_set():
            BlockingSmsBackend.entered.set()
            BlockingSmsBackend.release.wait(10)
        BlockingSmsBackend.sent.append(reference)
        return reference

    @classmethod
    def from_settings(cls):
        return cls()


@pytest.mark.django_db(transaction=True)
def test_second_worker_skips_a_message_being_sent(demo_clubs_tx, settings):
    """R-COM-4: while one worker sends a message, another given the same id skips it
    (the row lock), and afterwards finds it sent: the SMS goes out once."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    settings.SMS_BACKEND = "tests.comms.test_outbox.BlockingSmsBackend"
    with scopes_disabled():
        person = Person.objects.create(first_name="Per", last_name="Lås", mobile="+4791234567")
        message = OutboundMessage.objects.create(
            club=demo_clubs_tx["a"],
            person=person,
            channel="sms",
            to_address="+4791234567",
            body_text="Hei",
            idempotency_key="race",
        )
    results = {}

    def worker(name):
        try:
            results[name] = services.send_message(message.pk)
        finally:
            connection.close()

    first = threading.Thread(target=worker, args=("first",))
    first.start()
    assert BlockingSmsBackend.entered.wait(10)
    second = threading.Thread(target=worker, args=("second",))
    second.start()
    second.join(10)
    assert not second.is_alive(), "the second worker waited for the lock instead of skipping"
    BlockingSmsBackend.release.set()
    first.join(10)
    services.send_message(message.pk)  # and once more, afterwards
    assert BlockingSmsBackend.sent == [f"outbox-{message.pk}"]
    assert reload(message).status == Status.SENT


# --- Opt-out (R-COM-5) ------------------------------------------------------------------------


def test_newsletter_not_queued_for_opted_out_person(club, person, mailoutbox, sms_outbox):
    """R-COM-5: members who opted out get no newsletters ..."""
    services.opt_out_of_newsletters(person)
    assert queue(club, person, key="n1", kind="newsletter") is None
    assert sms(club, person, key="n2", kind="newsletter") is None
    with scopes_disabled():
        assert not OutboundMessage.objects.filter(person=person).exists()


def test_transactional_goes_to_opted_out_person(club, person, mailoutbox):
    """R-COM-5: ... but transactional messages (invoice, verification) always go."""
    services.opt_out_of_newsletters(person)
    message = queue(club, person, key="t1")
    services.send_message(message.pk)
    assert reload(message).status == Status.SENT
    assert len(mailoutbox) == 1


def test_newsletter_goes_to_person_who_did_not_opt_out(club, person, mailoutbox):
    message = queue(club, person, key="n1", kind="newsletter")
    services.send_message(message.pk)
    assert len(mailoutbox) == 1


# --- SMS specifics ------------------------------------------------------------------------------


def test_sms_sender_is_the_clubs_sms_name(club, person, sms_outbox):
    message = sms(club, person)
    services.send_message(message.pk)
    sender, to, text, reference = sms_outbox.sent[0]
    assert (sender, to, text) == ("DemoA", "+4791234567", "Hei! Trening i dag.")
    assert reload(message).provider_message_id == "mem-1"


def test_sms_over_800_characters_is_refused_with_a_clear_message(club, person):
    """R-COM-1: a longer text is refused, saying by how much."""
    with pytest.raises(ValidationError) as exc:
        sms(club, person, text="a" * 801)
    assert "at most 800 characters" in exc.value.messages[0]
    assert "this one has 801" in exc.value.messages[0]
    assert "by 1 characters" in exc.value.messages[0]
    assert sms(club, person, text="a" * 800).body_text == "a" * 800


def test_sms_numbers_are_stored_e164(club, person):
    message = services.queue_sms(
        club=club, person=person, to_number="912 34 567", text="Hei", idempotency_key="n"
    )
    assert message.to_address == "+4791234567"
    with pytest.raises(ValidationError, match="not a valid mobile number"):
        services.queue_sms(
            club=club, person=person, to_number="12", text="Hei", idempotency_key="bad"
        )


def test_empty_sms_is_refused(club, person):
    with pytest.raises(ValidationError, match="no text"):
        sms(club, person, text="")


# --- Bulk sends -----------------------------------------------------------------------------


@pytest.fixture
def family(db):
    mother = Person.objects.create(first_name="Mor", last_name="Hansen", email="mor@example.no")
    kids = [Person.objects.create(first_name=n, last_name="Hansen") for n in ("Ada", "Bo")]
    other = Person.objects.create(first_name="Eva", last_name="Lie", email="eva@example.no")
    gone = Person.objects.create(
        first_name="Ulf",
        last_name="Vik",
        email="ulf@example.no",
        newsletter_opt_out_at=timezone.now(),
    )
    return mother, kids, other, gone


def test_bulk_email_one_per_guardian_merge_fields_and_progress(
    club, family, mailoutbox, django_capture_on_commit_callbacks
):
    """R-COM-2/3/5: one message per guardian per send, merge fields filled in, opted-out
    persons left out of newsletters and counted; the batch counts its progress."""
    mother, (ada, bo), other, gone = family
    recipients = [
        Recipient(mother.pk, mother.email, ada.pk, {"fornavn": "Mor"}),
        Recipient(mother.pk, mother.email, bo.pk, {"fornavn": "Mor"}),  # same guardian
        Recipient(other.pk, other.email, None, {"fornavn": "Eva"}),
        Recipient(gone.pk, gone.email, None, {"fornavn": "Ulf"}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.queue_bulk_email(
            club=club,
            recipients=recipients,
            subject="Nytt fra {klubb}",
            body_text="Hei {fornavn}!\nSe https://example.no/terminliste & kom.",
            key="send-1",
        )
        assert (batch.total, batch.skipped, batch.status) == (2, 1, "queued")
    with scopes_disabled():
        batch = SendBatch.objects.get(pk=batch.pk)
    assert (batch.done, batch.failed, batch.status, batch.percent) == (2, 0, "finished", 100)
    assert batch.finished_at is not None
    assert sorted(m.to[0] for m in mailoutbox) == ["eva@example.no", "mor@example.no"]
    mail = next(m for m in mailoutbox if m.to == ["mor@example.no"])
    assert mail.subject == f"Nytt fra {club.name}"
    assert mail.body.startswith("Hei Mor!\nSe https://example.no/terminliste & kom.")
    html = mail.alternatives[0][0]
    assert "Hei Mor!<br>" in html
    assert '<a href="https://example.no/terminliste"' in html
    assert "&amp; kom." in html
    assert "/nyhetsbrev/avmeld/" in mail.body and "/nyhetsbrev/avmeld/" in html


def test_bulk_send_twice_with_the_same_key_queues_once(club, family, mailoutbox):
    mother, _kids, other, _gone = family
    recipients = [Recipient(mother.pk, mother.email), Recipient(other.pk, other.email)]
    first = services.queue_bulk_email(
        club=club, recipients=recipients, subject="S", body_text="B", key="double"
    )
    second = services.queue_bulk_email(
        club=club, recipients=recipients, subject="S", body_text="B", key="double"
    )
    assert first.pk == second.pk
    with scopes_disabled():
        assert OutboundMessage.objects.filter(batch=first).count() == 2


def test_bulk_transactional_email_goes_to_opted_out(club, family):
    *_rest, gone = family
    batch = services.queue_bulk_email(
        club=club,
        recipients=[Recipient(gone.pk, gone.email)],
        subject="Faktura",
        body_text="B",
        key="tx",
        kind="transactional",
    )
    assert (batch.total, batch.skipped) == (1, 0)
    with scopes_disabled():
        assert "/nyhetsbrev/avmeld/" not in OutboundMessage.objects.get(batch=batch).body_text


def test_bulk_sms_refuses_when_merged_text_is_too_long(club, family):
    """R-COM-1: nothing is queued when a merge field makes one message too long."""
    mother, _kids, other, _gone = family
    recipients = [
        Recipient(mother.pk, "+4791234567", fields={"fornavn": "M" * 50}),
        Recipient(other.pk, "+4791234568", fields={"fornavn": "Eva"}),
    ]
    with pytest.raises(ValidationError, match="1 of the messages are longer than 800"):
        services.queue_bulk_sms(
            club=club, recipients=recipients, text="x" * 760 + " {fornavn}", key="long"
        )
    with scopes_disabled():
        assert not SendBatch.objects.filter(key="long").exists()


def test_bulk_sms_is_sent_with_progress(
    club, family, sms_outbox, django_capture_on_commit_callbacks
):
    mother, _kids, other, _gone = family
    sms_outbox.fail_with = [PermanentFailure("refused")]
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.queue_bulk_sms(
            club=club,
            recipients=[
                Recipient(mother.pk, "912 34 567", fields={"fornavn": "Mor"}),
                Recipient(other.pk, "+47 912 34 568", fields={"fornavn": "Eva"}),
            ],
            text="Hei {fornavn}, velkommen til {klubb}.",
            key="sms-send",
        )
    with scopes_disabled():
        batch = SendBatch.objects.get(pk=batch.pk)
    assert (batch.total, batch.done, batch.failed, batch.status) == (2, 1, 1, "finished")
    assert sms_outbox.sent[0][2] == f"Hei Eva, velkommen til {club.name}."


def test_merge_leaves_unknown_fields():
    assert services.merge("Hei {fornavn} {ukjent}", {"fornavn": "Kari"}) == "Hei Kari {ukjent}"


def test_bulk_merge_values_are_escaped_and_links_clickable(club, family):
    """R-COM-3: a merge field's value is text in the HTML part (escaped), and a link when
    it is an address; the plain part has it as typed."""
    mother, *_rest = family
    batch = services.queue_bulk_email(
        club=club,
        recipients=[
            Recipient(
                mother.pk,
                mother.email,
                fields={"fornavn": "<Mor & co>", "lenke": "https://ims.example.no/b?a=1&c=2"},
            )
        ],
        subject="Hei {fornavn}",
        body_text="Hei {fornavn}, bekreft her: {lenke}",
        key="escape",
        kind="transactional",
    )
    with scopes_disabled():
        message = OutboundMessage.objects.get(batch=batch)
    assert message.subject == "Hei <Mor & co>"
    assert message.body_text.startswith(
        "Hei <Mor & co>, bekreft her: https://ims.example.no/b?a=1&c=2"
    )
    assert "Hei &lt;Mor &amp; co&gt;" in message.body_html
    assert (
        '<a href="https://ims.example.no/b?a=1&amp;c=2">https://ims.example.no/b?a=1&amp;c=2</a>'
        in message.body_html
    )
