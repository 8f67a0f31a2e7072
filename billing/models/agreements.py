from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Agreement(models.Model):
    """One recurring charge of one fee to one person (R-BIL-2). ``person`` is the member
    the fee is for; ``payer`` receives the invoice (the guardian for a child, or the
    household's payer). The next invoice run on or after ``next_billing_date`` bills
    the period starting that day and moves the date on by the fee's period; ``None``
    means nothing more to bill (a one-off fee that was billed). Nothing is billed for a
    period starting after ``ends_on``.
    """

    class Source(models.TextChoices):
        MEMBERSHIP = "membership", _("Membership became active")
        GROUP = "group", _("Joined a group")
        ADMIN = "admin", _("Created by admin")
        MIGRATED = "migrated", _("Migrated")
        PURCHASE = "purchase", _("Purchase")

    class PaymentMethod(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        AVTALEGIRO = "avtalegiro", _("AvtaleGiro")
        CARD = "card", _("Card")

    club = models.ForeignKey(
        "members.Club", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    fee = models.ForeignKey("billing.Fee", on_delete=models.PROTECT, related_name="agreements")
    person = models.ForeignKey(
        "members.Person",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="billing_agreements",
    )
    membership = models.ForeignKey(
        "members.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="agreements",
    )
    payer = models.ForeignKey(
        "members.Person",
        verbose_name=_("invoice recipient"),
        on_delete=models.PROTECT,
        related_name="paid_agreements",
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=10,
        choices=PaymentMethod.choices,
        default=PaymentMethod.INVOICE,
    )
    next_billing_date = models.DateField(_("next billing date"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["pk"]
        constraints = [
            # creating an agreement twice (a double click, a repeated status change)
            # finds the first one
            models.UniqueConstraint(
                fields=["fee", "person"],
                condition=Q(cancelled_at__isnull=True),
                name="agreement_one_live_per_fee_person",
            ),
        ]
        indexes = [
            # the invoice run: due agreements of a club
            models.Index(fields=["club", "next_billing_date"], name="agreement_club_due"),
        ]

    def __str__(self) -> str:
        return f"{self.fee} → {self.person}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None
