import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .fees import money_field


def new_token() -> str:
    return secrets.token_urlsafe(32)


class CardPayment(models.Model):
    """One attempt to pay an invoice by card (R-BIL-8), followed from start to end.

    ``token`` is ours and unguessable: the result page and the test provider's page are
    found by it, never by an invoice id. ``provider_reference`` is the provider's id of
    its session (a Stripe Checkout Session id), unique per provider, and is also the
    reference of the ``Payment`` recorded when it is paid, so a callback and a status
    poll for the same payment record it once. ``amount`` is what we asked for; the
    ``payment`` says what the provider charged."""

    class Status(models.TextChoices):
        STARTED = "started", _("Started")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    club = models.ForeignKey("members.Club", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="card_payments"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    provider = models.CharField(_("provider"), max_length=30)
    provider_reference = models.CharField(_("provider reference"), max_length=255, blank=True)
    redirect_url = models.TextField(_("payment page"), blank=True)
    amount = money_field(_("amount"))
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.STARTED
    )
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_by = models.ForeignKey(
        "members.Person",
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("card payment")
        verbose_name_plural = _("card payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="card_payment_reference_once",
            ),
        ]
        indexes = [
            models.Index(fields=["invoice", "status"], name="card_payment_invoice_status"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_reference or self.pk} ({self.status})"
