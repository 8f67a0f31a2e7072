"""The outbox (DESIGN.md "Background work and messages"): every e-mail and SMS the
system sends is first an ``OutboundMessage`` row, written in the same transaction as the
change that caused it, then sent by a task (``comms.services.send_message``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class Kind(models.TextChoices):
    TRANSACTIONAL = "transactional", _("Transactional")
    NEWSLETTER = "newsletter", _("Newsletter")


class SendBatch(models.Model):
    """One bulk send (composer, activation, invitations): its progress bar reads
    ``done``/``failed`` against ``total``. The counters move in the transaction that
    records each message's outcome, so they always agree with the messages."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        FINISHED = "finished", _("Finished")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="send_batches")
    key = models.CharField(
        max_length=150, unique=True, help_text="Idempotency key of the whole send."
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=13, choices=Kind.choices)
    label = models.CharField(_("subject"), max_length=200, blank=True)
    total = models.PositiveIntegerField(_("messages"), default=0)
    done = models.PositiveIntegerField(_("sent"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    skipped = models.PositiveIntegerField(
        _("opted out"), default=0, help_text=_("Recipients left out (newsletter opt-out).")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("bulk send")
        verbose_name_plural = _("bulk sends")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label or self.key} ({self.done + self.failed}/{self.total})"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100
        return min(100, (self.done + self.failed) * 100 // self.total)

    @property
    def is_finished(self) -> bool:
        return self.status == self.Status.FINISHED


class OutboundMessage(models.Model):
    """One e-mail or SMS to one address (R-COM-4). Status: queued → sent → delivered,
    or failed with a reason in plain words. ``idempotency_key`` is unique: the same
    message cannot be queued, nor sent, twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    Channel = Channel
    Kind = Kind

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="messages")
    # empty for a message to someone not yet in the registry (an invitation, a one-time code)
    person = models.ForeignKey(
        "members.Person",
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages_received",
    )
    about_person = models.ForeignKey(
        "members.Person",
        verbose_name=_("about"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages_about",
        help_text=_("The member the message concerns when it goes to a guardian."),
    )
    batch = models.ForeignKey(
        SendBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    kind = models.CharField(
        _("kind"), max_length=13, choices=Kind.choices, default=Kind.TRANSACTIONAL
    )
    to_address = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(blank=True)
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.QUEUED
    )
    failure_reason = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    idempotency_key = models.CharField(max_length=200, unique=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        indexes = [
            # The sweep: queued rows whose next attempt is overdue (a small partial index).
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_sweep",
                condition=Q(status="queued"),
            ),
            # The member card's message panel, newest first.
            models.Index(fields=["person", "-created_at"], name="outbox_person_created"),
            models.Index(
                fields=["provider_message_id"],
                name="outbox_provider_id",
                condition=~Q(provider_message_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.to_address} ({self.status})"


class OutboundAttachment(models.Model):
    """A file sent with an e-mail (an invoice PDF, R-BIL-6). The message holds only the
    file's name in default storage, never its bytes: the file is read when the message is
    sent, so a message retried three times reads the same stored file three times. It is
    reached through its message only (club-scoped there)."""

    message = models.ForeignKey(
        OutboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("content type"), max_length=100)
    storage_name = models.CharField(max_length=300, help_text="The file's name in default storage.")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["message", "pk"]

    def __str__(self) -> str:
        return self.filename
