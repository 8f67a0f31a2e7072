"""The club admin's answer to a membership sent for approval (R-REG-7 (i), R-REG-8).

One ``ApprovalDecision`` per answer: approved or rejected, the admin's comment (the
reason given to the member on rejection), who and when, and the e-mail that told the
member (or a guardian). The membership's own history (simple_history) records the
status change; this keeps the full comment, which the history's reason cannot hold.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class ApprovalDecision(models.Model):
    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.CASCADE, related_name="approval_decisions"
    )
    outcome = models.CharField(_("decision"), max_length=10, choices=Outcome.choices)
    comment = models.TextField(_("comment"), blank=True)
    key = models.CharField(max_length=150, unique=True, help_text="Idempotency key (the form's).")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)
    message = models.ForeignKey(
        "comms.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        ordering = ["-decided_at", "-pk"]
        indexes = [
            models.Index(fields=["membership", "-decided_at"], name="approval_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} membership {self.membership_id}"
