"""A membership made through an invitation (R-REG-5 … R-REG-7): who registered whom, what
happened by the club's settings, and the invoice made at once when the member pays by
card. The receipt page and e-mail are read from it.

One row per membership (a membership is made once) and per person and invitation: a
double submit, the back button or two tabs find the first row instead of making a
second membership.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class JoinOutcome(models.TextChoices):
    """The three club settings' branches of R-REG-7."""

    APPROVAL = "approval", _("Sent for approval")
    BILLING_DAY = "billing_day", _("Active, invoiced on the billing day")
    PAY_NOW = "pay_now", _("Active, paid at once")


class Registration(models.Model):
    Outcome = JoinOutcome

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    invitation = models.ForeignKey(
        "invitations.Invitation", on_delete=models.CASCADE, related_name="registrations"
    )
    membership = models.OneToOneField(
        "members.Membership", on_delete=models.CASCADE, related_name="registration"
    )
    person = models.ForeignKey(
        "members.Person", verbose_name=_("member"), on_delete=models.CASCADE, related_name="+"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=JoinOutcome.choices)
    total = models.DecimalField(_("price shown"), max_digits=12, decimal_places=2, default=0)
    first_invoice_date = models.DateField(_("first invoice"), null=True, blank=True)
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("registered"), default=timezone.now)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "person"], name="registration_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.outcome} membership {self.membership_id}"
