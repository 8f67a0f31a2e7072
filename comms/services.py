"""The outbox (DESIGN.md, R-COM-1, R-COM-4, R-COM-5): one entry point per channel.

Callers queue a message inside the transaction of the change that causes it::

    queue_email(club=club, person=guardian, to_address=guardian.email,
                template="invitations/email/verify", context={...},
                idempotency_key=f"verify:{membership.pk}:{round}", about_person=child)

The row is written in the caller's transaction and the send task is queued with
``transaction.on_commit``: a rolled-back change sends nothing, and the same
``idempotency_key`` twice gives the first message back and sends once. Newsletters to
persons who opted out are not queued (``None``); transactional messages always are.

``send_message`` is the worker side; see docs/architecture.md ("The outbox") for how it
keeps a message from going out twice.
"""

import hashlib
import logging
import re
import smtplib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import formataddr, parseaddr

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape, linebreaks, urlize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from comms import sms
from comms.errors import PermanentFailure, SendFailure, TemporaryFailure
from comms.models import Channel, Kind, OutboundAttachment, OutboundMessage, SendBatch
from comms.rendering import (
    UnsubscribeLinks,
    person_id_from_token,
    render_email,
    unsubscribe_url,
    unsubscribe_url_for_id,
)
from comms.sms import segments
from members.models import Person

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600
SWEEP_AFTER = timedelta(minutes=10)
EMAIL_TIMEOUT = 30  # seconds; an SMTP server that hangs is a temporary failure


class CommsError(ValidationError):
    """A message that cannot be queued; the message is for the user."""


# --- Queueing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A stored file to send with an e-mail: the name the recipient sees, its content
    type, and its name in default storage (``invoice.pdf.name``). Only the name is kept
    with the message; the bytes are read from storage when it is sent."""

    filename: str
    content_type: str
    storage_name: str


def queue_email(
    *,
    club,
    person,
    to_address: str,
    template: str,
    context: dict | None = None,
    kind: str = Kind.TRANSACTIONAL,
    idempotency_key: str,
    about_person=None,
    batch: SendBatch | None = None,
    attachments: Sequence[Attachment] = (),
) -> OutboundMessage | None:
    """Queue one e-mail rendered from ``<template>.subject.txt``, ``<template>.txt`` and
    ``<template>.html`` (which extend ``comms/email/base.*``). Their context holds
    ``club``, ``person``, ``about_person``, ``site_url``, and for newsletters
    ``unsubscribe_url``, plus ``context``. ``attachments`` are stored files sent with it
    (each must exist in default storage)."""
    existing = _existing(idempotency_key)
    if existing is not None:
        return existing
    if _opted_out(person, kind):
        return None
    to_address = (to_address or "").strip()
    if not to_address:
        raise CommsError(_("%(name)s has no e-mail address.") % {"name": person})
    for attachment in attachments:
        if not attachment.storage_name or not default_storage.exists(attachment.storage_name):
            raise CommsError(
                _("The file %(name)s to attach is missing.") % {"name": attachment.filename}
            )
    subject, text, html = render_email(
        template,
        {"club": club, "person": person, "about_person": about_person, **(context or {})},
        unsubscribe=unsubscribe_url(person) if kind == Kind.NEWSLETTER else None,
    )
    message = OutboundMessage(
        club=club,
        person=person,
        about_person=about_person,
        batch=batch,
        channel=Channel.EMAIL,
        kind=kind,
        to_address=to_address,
        subject=subject[:200],
        body_text=text,
        body_html=html,
        idempotency_key=idempotency_key,
    )
    return _insert(message, attachments)


def queue_sms(
    *,
    club,
    person,
    to_number,
    text: str,
    kind: str = Kind.TRANSACTIONAL,
    idempotency_key: str,
    about_person=None,
    batch: SendBatch | None = None,
) -> OutboundMessage | None:
    """Queue one SMS of at most 800 characters (R-COM-1) to a Norwegian or E.164 number."""
    existing = _existing(idempotency_key)
    if existing is not None:
        return existing
    if _opted_out(person, kind):
        return None
    validate_sms_text(text)
    message = OutboundMessage(
        club=club,
        person=person,
        about_person=about_person,
        batch=batch,
        channel=Channel.SMS,
        kind=kind,
        to_address=normalise_number(to_number),
        body_text=text,
        idempotency_key=idempotency_key,
    )
    return _insert(message)


def validate_sms_text(text: str) -> segments.Segments:
    """Refuse an empty SMS or one over 800 characters, saying by how much."""
    counted = segments.count(text or "")
    if not counted.chars:
        raise CommsError(_("The SMS has no text."))
    if counted.chars > segments.MAX_CHARS:
        raise CommsError(
            _(
                "An SMS can be at most %(max)d characters; this one has %(count)d. "
                "Shorten it by %(over)d characters."
            )
            % {
                "max": segments.MAX_CHARS,
                "count": counted.chars,
                "over": counted.chars - segments.MAX_CHARS,
            }
        )
    return counted


def normalise_number(number) -> str:
    """E.164 (``+4791234567``) from ``912 34 567``, ``0047…`` or a PhoneNumber."""
    raw = str(number or "").strip()
    if NORWEGIAN_MOBILE_E164.fullmatch(raw):  # the stored form: no parsing needed
        return raw
    try:
        parsed = phonenumbers.parse(raw, "NO")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise CommsError(_("“%(number)s” is not a valid mobile number.") % {"number": raw})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _existing(idempotency_key: str) -> OutboundMessage | None:
    if not idempotency_key:
        raise ValueError("queue_email/queue_sms need an idempotency_key")
    with scopes_disabled():
        return OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()


def _opted_out(person, kind: str) -> bool:
    return kind == Kind.NEWSLETTER and person.newsletter_opt_out_at is not None


def _insert(message: OutboundMessage, attachments: Sequence[Attachment] = ()) -> OutboundMessage:
    """Write the row and its attachments (a concurrent insert of the same key gives the
    other row back) and queue its send for after the caller's commit."""
    try:
        with transaction.atomic():
            message.save()
            OutboundAttachment.objects.bulk_create(
                OutboundAttachment(
                    message=message,
                    filename=a.filename[:150],
                    content_type=a.content_type,
                    storage_name=a.storage_name,
                )
                for a in attachments
            )
    except IntegrityError:
        existing = _existing(message.idempotency_key)
        if existing is None:
            raise
        return existing
    if message.batch_id:
        with scopes_disabled():
            SendBatch.objects.filter(pk=message.batch_id).update(total=F("total") + 1)
    pk = message.pk
    transaction.on_commit(lambda: enqueue([pk]))
    return message


def enqueue(message_ids: Iterable[int]) -> None:
    """Hand message ids to the send task (one broker connection for many)."""
    from comms import tasks

    ids = list(message_ids)
    if not ids:
        return
    if tasks.app.conf.task_always_eager:
        for pk in ids:
            tasks.send_message.delay(pk)
        return
    queue = settings.COMMS_QUEUE  # named here, not only in the routes: tests and bench
    with tasks.app.producer_or_acquire() as producer:  # point it at a queue of their own
        for pk in ids:
            tasks.send_message.apply_async((pk,), producer=producer, queue=queue)


# --- Bulk sends ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One recipient of a bulk send: the person (a guardian for a child's message, with
    the child as ``about_person_id``), their address or number, and the values of the
    merge fields for them (``{"fornavn": "Kari", "lenke": "https://…"}``). ``key`` makes
    the message unique within the send (default: the person, so a guardian of two
    children in the selection gets one message)."""

    person_id: int
    to: str
    about_person_id: int | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    key: str = ""


def merge(text: str, fields: Mapping[str, str]) -> str:
    """Replace ``{name}`` by ``fields["name"]`` (R-COM-3); unknown names stay as typed."""
    if "{" not in text:
        return text
    return MERGE_FIELD.sub(lambda m: str(fields.get(m.group(1), m.group(0))), text)


NORWEGIAN_MOBILE_E164 = re.compile(r"\+47[49]\d{7}")
MERGE_FIELD = re.compile(r"\{(\w+)\}")


def queue_bulk_email(
    *,
    club,
    recipients: Iterable[Recipient],
    subject: str,
    body_text: str,
    key: str,
    kind: str = Kind.NEWSLETTER,
    created_by=None,
) -> SendBatch:
    """Queue one e-mail per recipient (set-based: one INSERT per 2,000 rows and one task
    after commit that queues the sends) and return the batch for its progress bar.
    ``subject`` and ``body_text`` may hold merge fields; ``{klubb}`` is the club's name.
    Calling again with the same ``key`` returns the first batch and queues nothing.
    Recipients without an address are left out."""
    existing = _batch_with_key(key)
    if existing is not None:
        return existing
    layout = BulkEmailLayout(club, kind, body_text)
    rows = []
    chosen, skipped = _recipients(club, recipients, kind)
    for r, fields in chosen:
        to = (r.to or "").strip()
        if to:
            text, html = layout.render(fields, r.person_id)
            rows.append(
                _bulk_row(club, key, Channel.EMAIL, kind, r, to, subject, fields, text, html)
            )
    return _write_batch(club, key, Channel.EMAIL, kind, subject, created_by, rows, skipped)


def queue_bulk_sms(
    *,
    club,
    recipients: Iterable[Recipient],
    text: str,
    key: str,
    kind: str = Kind.NEWSLETTER,
    created_by=None,
) -> SendBatch:
    """As ``queue_bulk_email`` for SMS. Every merged text must fit 800 characters; if one
    does not, nothing is queued and the error says how many are too long. Recipients
    without a valid mobile number are left out."""
    validate_sms_text(text)
    existing = _batch_with_key(key)
    if existing is not None:
        return existing
    rows, too_long, longest = [], 0, 0
    chosen, skipped = _recipients(club, recipients, kind)
    for r, fields in chosen:
        body = merge(text, fields)
        chars = segments.count(body).chars
        if chars > segments.MAX_CHARS:
            too_long, longest = too_long + 1, max(longest, chars)
            continue
        try:
            to = normalise_number(r.to)
        except CommsError:
            continue
        rows.append(_bulk_row(club, key, Channel.SMS, kind, r, to, "", fields, body, ""))
    if too_long:
        raise CommsError(
            _(
                "With the merge fields filled in, %(n)d of the messages are longer than "
                "%(max)d characters (the longest has %(longest)d). Shorten the text."
            )
            % {"n": too_long, "max": segments.MAX_CHARS, "longest": longest}
        )
    return _write_batch(club, key, Channel.SMS, kind, text, created_by, rows, skipped)


def _batch_with_key(key: str) -> SendBatch | None:
    if not key or len(key) > 150:
        raise ValueError("a bulk send needs a key of 1–150 characters")
    with scopes_disabled():
        return SendBatch.objects.filter(key=key).first()


def _recipients(club, recipients, kind) -> tuple[list[tuple[Recipient, dict]], int]:
    """Each distinct recipient (by key) with its merge fields, and how many were left out
    because they opted out of newsletters (R-COM-5)."""
    seen: dict[str, Recipient] = {}
    for r in recipients:
        seen.setdefault(r.key or str(r.person_id), r)
    opted_out: set[int] = set()
    if kind == Kind.NEWSLETTER and seen:
        ids = {r.person_id for r in seen.values()}
        opted_out = set(
            Person.objects.filter(pk__in=ids, newsletter_opt_out_at__isnull=False).values_list(
                "pk", flat=True
            )
        )
    base = {"klubb": club.name}
    chosen = [
        (Recipient(r.person_id, r.to, r.about_person_id, r.fields, key), {**base, **r.fields})
        for key, r in seen.items()
        if r.person_id not in opted_out
    ]
    return chosen, len(seen) - len(chosen)


def _bulk_row(club, key, channel, kind, r, to, subject, fields, text, html) -> dict:
    """One message's column values (``attname`` → value); the batch is filled in later."""
    return {
        "club_id": club.pk,
        "person_id": r.person_id,
        "about_person_id": r.about_person_id,
        "channel": channel,
        "kind": kind,
        "to_address": to,
        "subject": merge(subject, fields)[:200],
        "body_text": text,
        "body_html": html,
        "idempotency_key": f"{key}:{r.key}",
    }


def _write_batch(club, key, channel, kind, label, created_by, rows, skipped) -> SendBatch:
    """The batch row and its messages in the caller's transaction; the sends are queued
    after commit by one task. A concurrent send with the same key gives its batch."""
    now = timezone.now()
    try:
        with scopes_disabled(), transaction.atomic():
            batch = SendBatch.objects.create(
                club=club,
                key=key,
                channel=channel,
                kind=kind,
                label=label[:200],
                created_by=created_by,
                total=len(rows),
                skipped=skipped,
                status=SendBatch.Status.QUEUED if rows else SendBatch.Status.FINISHED,
                finished_at=None if rows else now,
            )
            _insert_rows(rows, batch_id=batch.pk, created_at=now, next_attempt_at=now)
    except IntegrityError:
        existing = _batch_with_key(key)
        if existing is None:
            raise
        return existing
    if rows:
        pk = batch.pk
        transaction.on_commit(lambda: _dispatch_later(pk))
    return batch


def _insert_rows(rows: list[dict], **common) -> None:
    """Many messages in the current transaction: PostgreSQL COPY (10,000 rows with their
    HTML in about a second), bulk_create elsewhere. The ids are not needed here."""
    fields = [f for f in OutboundMessage._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields} | common
    if connection.vendor != "postgresql":
        OutboundMessage.objects.bulk_create(
            [OutboundMessage(**(defaults | row)) for row in rows], batch_size=2000
        )
        return
    names = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(OutboundMessage._meta.db_table)
    statement = f"COPY {table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = defaults | row
            copy.write_row([values[name] for name in names])


def _dispatch_later(batch_id: int) -> None:
    from comms import tasks

    tasks.dispatch_batch.apply_async((batch_id,), queue=settings.COMMS_QUEUE)


def dispatch_batch(batch_id: int) -> int:
    """Queue a send for every still-queued message of the batch (safe to run twice)."""
    with scopes_disabled():
        SendBatch.objects.filter(pk=batch_id, status=SendBatch.Status.QUEUED).update(
            status=SendBatch.Status.SENDING
        )
        ids = list(
            OutboundMessage.objects.filter(batch_id=batch_id, status=Status.QUEUED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    enqueue(ids)
    return len(ids)


class BulkEmailLayout:
    """The club's e-mail layout and the text's HTML rendered once, with markers where each
    recipient's body and unsubscribe link go and merge fields still in place: 10,000
    messages cost string replacements, not 20,000 template renderings."""

    BODY = "\x00body\x00"
    UNSUBSCRIBE = "\x00unsubscribe\x00"

    def __init__(self, club, kind: str, body_text: str):
        self.kind = kind
        self.body_text = body_text
        # Links and paragraphs of the typed text; merge fields are filled in per recipient.
        self.body_html = linebreaks(urlize(body_text, autoescape=True), autoescape=False)
        _subject, self.text, self.html = render_email(
            "comms/email/message",
            {
                "club": club,
                "subject": "",
                "body_text": self.BODY,
                "body_html": mark_safe(self.BODY),  # noqa: S308 (a marker, replaced below)
            },
            unsubscribe=self.UNSUBSCRIBE if kind == Kind.NEWSLETTER else None,
        )
        self.links = UnsubscribeLinks() if kind == Kind.NEWSLETTER else None

    def render(self, fields: Mapping[str, str], person_id: int) -> tuple[str, str]:
        text = self.text.replace(self.BODY, merge(self.body_text, fields))
        html_fields = {k: _html_value(v) for k, v in fields.items()}
        html = self.html.replace(self.BODY, merge(self.body_html, html_fields))
        if self.links is not None:
            url = self.links.url(person_id)
            text = text.replace(self.UNSUBSCRIBE, url)
            html = html.replace(self.UNSUBSCRIBE, escape(url))
        return text, html


def _html_value(value) -> str:
    """A merge field's value in HTML: escaped, and a link when it is an address."""
    value = escape(str(value))
    if value.startswith(("https://", "http://")):
        return f'<a href="{value}">{value}</a>'
    return value


# --- Sending (the worker side) ---------------------------------------------------------


def send_message(message_id: int) -> int | None:
    """Send one queued message at most once. Returns the seconds until the next try when
    it failed temporarily, else None.

    The row is locked (``FOR UPDATE SKIP LOCKED``) and re-checked to be ``queued`` and due
    in the transaction that calls the provider and records the outcome: a second worker
    given the same id skips it; a message already sent is not sent again; a crash before
    the commit leaves it ``queued`` for the retry or the sweep.
    """
    now = timezone.now()
    with scopes_disabled(), transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("club")
            .filter(pk=message_id, status=Status.QUEUED, next_attempt_at__lte=now)
            .first()
        )
        if message is None:
            return None
        message.attempts += 1
        retry_in = None
        try:
            message.provider_message_id = deliver(message)[:100]
        except TemporaryFailure as exc:
            if message.attempts >= MAX_ATTEMPTS:
                _mark_failed(
                    message,
                    _("Gave up after %(n)d attempts. Last error: %(reason)s")
                    % {"n": message.attempts, "reason": exc.reason},
                    now,
                )
            else:
                retry_in = backoff_seconds(message.attempts)
                message.failure_reason = exc.reason
                message.next_attempt_at = now + timedelta(seconds=retry_in)
        except PermanentFailure as exc:
            _mark_failed(message, exc.reason, now)
        else:
            message.status = Status.SENT
            message.sent_at = now
            message.failure_reason = ""
            _count_in_batch(message, done=1)
        message.save(
            update_fields=[
                "status",
                "attempts",
                "failure_reason",
                "next_attempt_at",
                "provider_message_id",
                "sent_at",
                "failed_at",
            ]
        )
    return retry_in


def backoff_seconds(attempts: int) -> int:
    """1, 2, 4, 8 … minutes after the 1st, 2nd, 3rd … failed attempt, at most 6 hours."""
    return min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS)


def _mark_failed(message: OutboundMessage, reason: str, now) -> None:
    message.status = Status.FAILED
    message.failure_reason = reason
    message.failed_at = now
    _count_in_batch(message, failed=1)


def _count_in_batch(message: OutboundMessage, *, done: int = 0, failed: int = 0) -> None:
    """Move the batch's counters in the message's own transaction; the last message
    finishes the batch. (Plain SQL: this runs once per message of every bulk send.)"""
    if not message.batch_id:
        return
    table = connection.ops.quote_name(SendBatch._meta.db_table)
    step = done + failed
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET done = done + %s, failed = failed + %s,"  # noqa: S608
            " status = CASE WHEN total <= done + failed + %s THEN %s ELSE %s END,"
            " finished_at = CASE WHEN total <= done + failed + %s AND finished_at IS NULL"
            " THEN %s ELSE finished_at END WHERE id = %s",
            [
                done,
                failed,
                step,
                SendBatch.Status.FINISHED.value,
                SendBatch.Status.SENDING.value,
                step,
                timezone.now(),
                message.batch_id,
            ],
        )


def deliver(message: OutboundMessage) -> str:
    """Hand one message to its channel; the provider's id, or a SendFailure."""
    try:
        if message.channel == Channel.EMAIL:
            return _deliver_email(message)
        return _deliver_sms(message)
    except SendFailure:
        raise
    except Exception as exc:  # a bug or an unexpected provider answer: retried, then failed
        logger.exception("Unexpected error sending message %s", message.pk)
        raise TemporaryFailure(_("Unexpected error: %(error)s") % {"error": exc}) from exc


def platform_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@localhost"


def _deliver_email(message: OutboundMessage) -> str:
    club = message.club
    sender = platform_address()
    domain = sender.rpartition("@")[2] or "localhost"
    key_hash = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:16]
    message_id = f"<outbox-{message.pk}-{key_hash}@{domain}>"
    headers = {"Message-ID": message_id}
    if message.kind == Kind.NEWSLETTER:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url_for_id(message.person_id)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=formataddr((club.name, sender)),
        to=[message.to_address],
        reply_to=[club.email_sender] if club.email_sender else None,
        headers=headers,
        connection=get_connection(fail_silently=False, timeout=EMAIL_TIMEOUT),
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, _stored_bytes(attachment), attachment.content_type)
    try:
        email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        reason = _("The mail server refused the address %(to)s.") % {"to": message.to_address}
        if codes and all(code >= 500 for code in codes):
            raise PermanentFailure(reason) from exc
        raise TemporaryFailure(reason) from exc
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        reason = _("The mail server answered %(code)s %(text)s") % {
            "code": exc.smtp_code,
            "text": text,
        }
        if exc.smtp_code >= 500:
            raise PermanentFailure(reason) from exc
        raise TemporaryFailure(reason) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(
            _("The mail server could not be reached (%(error)s).") % {"error": exc}
        ) from exc
    return message_id.strip("<>")


def _stored_bytes(attachment: OutboundAttachment) -> bytes:
    """The attached file from storage: gone is permanent, unreadable is temporary."""
    try:
        with default_storage.open(attachment.storage_name, "rb") as fh:
            return fh.read()
    except FileNotFoundError as exc:
        raise PermanentFailure(
            _("The attached file %(name)s is no longer stored.") % {"name": attachment.filename}
        ) from exc
    except OSError as exc:
        raise TemporaryFailure(
            _("The attached file %(name)s could not be read (%(error)s).")
            % {"name": attachment.filename, "error": exc}
        ) from exc


def sms_sender(club) -> str:
    return club.sms_sender or settings.SMS_DEFAULT_SENDER


def _deliver_sms(message: OutboundMessage) -> str:
    backend = sms.get_backend()
    return backend.send(
        sms_sender(message.club),
        message.to_address,
        message.body_text,
        reference=f"outbox-{message.pk}",
    )


# --- The sweep ---------------------------------------------------------------------------


def sweep_stuck(older_than: timedelta = SWEEP_AFTER, limit: int = 20_000) -> int:
    """Queue again the messages still ``queued`` ``older_than`` after they were due (a
    lost task, a killed worker, a broker restart). Sending twice is harmless: the send
    re-checks the row. Returns how many were queued again."""
    cutoff = timezone.now() - older_than
    with scopes_disabled(), transaction.atomic():
        ids = list(
            OutboundMessage.objects.filter(status=Status.QUEUED, next_attempt_at__lte=cutoff)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        # Not again before another ``older_than`` has passed.
        OutboundMessage.objects.filter(pk__in=ids, status=Status.QUEUED).update(
            next_attempt_at=timezone.now()
        )
        transaction.on_commit(lambda: enqueue(ids))
    if ids:
        logger.info("Outbox sweep queued %d messages again", len(ids))
    return len(ids)


# --- Delivery reports and opt-out --------------------------------------------------------


def record_sms_delivery(
    *, provider_message_id: str, reference: str = "", delivered: bool, error: str = ""
) -> OutboundMessage | None:
    """The gateway's delivery report: ``sent`` becomes ``delivered`` or ``failed``. A
    report for an unknown message, or a repeated one, changes nothing."""
    with scopes_disabled(), transaction.atomic():
        messages = OutboundMessage.objects.select_for_update().filter(channel=Channel.SMS)
        message = None
        if provider_message_id:
            message = messages.filter(provider_message_id=provider_message_id).first()
        if message is None and reference.startswith("outbox-") and reference[7:].isdigit():
            message = messages.filter(pk=int(reference[7:])).first()
        if message is None or message.status != Status.SENT:
            return message
        now = timezone.now()
        if delivered:
            message.status, message.delivered_at = Status.DELIVERED, now
        else:
            message.status, message.failed_at = Status.FAILED, now
            message.failure_reason = _("Not delivered to the phone: %(error)s") % {
                "error": error or _("no reason given")
            }
            if message.batch_id:
                SendBatch.objects.filter(pk=message.batch_id).update(
                    done=F("done") - 1, failed=F("failed") + 1
                )
        message.save(update_fields=["status", "delivered_at", "failed_at", "failure_reason"])
    return message


def person_for_unsubscribe(token: str) -> Person | None:
    person_id = person_id_from_token(token)
    if person_id is None:
        return None
    return Person.objects.filter(pk=person_id).first()


def opt_out_of_newsletters(person: Person) -> Person:
    """R-COM-5: no more newsletters; transactional messages still go. Idempotent."""
    if person.newsletter_opt_out_at is None:
        person.newsletter_opt_out_at = timezone.now()
        person.save(update_fields=["newsletter_opt_out_at", "updated_at"])
    return person
