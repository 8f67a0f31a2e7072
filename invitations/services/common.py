"""What the services share: their error, the keys of sends started from a form, the
bulk sends (comms ``SendBatch``) that group an activation's e-mails, and memberships
loaded with what ``contact_for`` needs."""

import uuid
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from comms.models import Channel, Kind, SendBatch

BATCH_PREFIX = "inv:batch:"
# A send whose task never started (a lost task, a worker that died before its commit) is
# not shown as running after this long; starting it again is safe.
STALE_AFTER = timedelta(minutes=10)


class InvitationError(Exception):
    """A rule of this app said no; the message is for the user."""


def new_send_key() -> str:
    """A key for one form: the same form submitted twice sends once."""
    return uuid.uuid4().hex


def clean_key(key: str | None) -> str:
    key = (key or "").strip()
    return key if key.isalnum() and len(key) <= 64 else new_send_key()


def with_contacts(memberships):
    return memberships.select_related("person", "club").prefetch_related("person__guardians")


def new_batch(club, *, label, by=None, key: str | None = None) -> tuple[SendBatch, bool]:
    """The bulk send that groups the e-mails of one activation, "send again to all" or
    "invite all" (its progress is read on the activation page, and it is listed with the
    club's other sends). ``(batch, True)`` when new; the same form ``key`` gives the
    first batch back: ``(batch, False)``."""
    key = BATCH_PREFIX + clean_key(key)
    with scopes_disabled():
        existing = SendBatch.objects.filter(key=key).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                batch = SendBatch.objects.create(
                    club=club,
                    key=key,
                    channel=Channel.EMAIL,
                    kind=Kind.TRANSACTIONAL,
                    label=str(label)[:200],
                    created_by=by,
                )
        except IntegrityError:
            return SendBatch.objects.get(key=key), False
    return batch, True


def close_if_empty(batch: SendBatch | None) -> None:
    """A send that queued nothing is finished at once (its messages finish the others)."""
    if batch is None:
        return
    with scopes_disabled():
        SendBatch.objects.filter(pk=batch.pk, total=0).exclude(
            status=SendBatch.Status.FINISHED
        ).update(status=SendBatch.Status.FINISHED, finished_at=timezone.now())


def running_batches(club) -> list[SendBatch]:
    """This app's sends for ``club`` that are still being prepared or sent."""
    recent = timezone.now() - STALE_AFTER
    return list(
        SendBatch.objects.filter(club=club, key__startswith=BATCH_PREFIX)
        .exclude(status=SendBatch.Status.FINISHED)
        .filter(Q(total__gt=0) | Q(created_at__gte=recent))
        .order_by("-created_at")[:5]
    )


def advisory_lock(key: str) -> None:
    """Hold a transaction-level lock on ``key`` until the transaction ends (PostgreSQL;
    elsewhere the database runs one writing transaction at a time anyway). For rules
    that no row can be locked for: "at most n codes an hour", "no second person"."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
