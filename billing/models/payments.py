from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .fees import money_field


class Payment(models.Model):
    """Money received for an invoice (R-BIL-8, and OCR Giro in a later issue), or paid
    back (``kind=refund``, a negative amount: a paid invoice is refunded, not credited,
    R-BIL-9). ``invoice`` is empty for a payment that matched nothing yet (OCR with an
    unknown KID), which waits on a list for the admin. ``(club, provider, reference)``
    is unique: the same callback or OCR record twice is one payment."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        REFUND = "refund", _("Refund")

    class Method(models.TextChoices):
        CARD = "card", _("Card")
        OCR = "ocr", _("OCR Giro")
        AVTALEGIRO = "avtalegiro", _("AvtaleGiro")
        MANUAL = "manual", _("Registered by hand")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(
        "billing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    kind = models.CharField(_("kind"), max_length=7, choices=Kind.choices, default=Kind.PAYMENT)
    paid_on = models.DateField(_("date"))
    amount = money_field(_("amount"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    kid = models.CharField(_("KID"), max_length=25, blank=True)
    # OCR Giro (issue 8): the file it came in, the payer's account, and who placed a
    # payment that matched nothing on an invoice
    payment_file = models.ForeignKey(
        "billing.PaymentFile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    payer_account = models.CharField(_("payer's account"), max_length=11, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("placed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["club", "provider", "reference"],
                condition=~Q(reference=""),
                name="payment_reference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.paid_on}"
