"""Verification of migrated memberships and Min side invitations (SPEC §5).

A ``VerificationRequest`` is one "Bekreft" e-mail about one membership: the link in it is
signed (``invitations.tokens``) and names the request, so a newer request for the same
membership makes the older link stop working. A ``MinSideInvite`` is a single-use code
bound to one Person: whoever holds the link can create a login for that person, once.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class VerificationRequest(models.Model):
    """One verification e-mail (R-ACT-2). ``person`` is who confirms: the member, or a
    guardian for a child; ``email`` the address it went to."""

    club = models.ForeignKey(
        "members.Club", on_delete=models.CASCADE, related_name="verification_requests"
    )
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.CASCADE, related_name="verification_requests"
    )
    person = models.ForeignKey(
        "members.Person",
        verbose_name=_("asked"),
        on_delete=models.CASCADE,
        related_name="verification_requests",
    )
    email = models.EmailField(_("e-mail"))
    key = models.CharField(
        max_length=150, unique=True, help_text="Idempotency key (also the message's)."
    )
    message = models.ForeignKey(
        "comms.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    superseded_at = models.DateTimeField(
        _("replaced"), null=True, blank=True, help_text=_("A newer link was sent.")
    )

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("verification request")
        verbose_name_plural = _("verification requests")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["membership", "-created_at"], name="verification_membership"),
        ]

    def __str__(self) -> str:
        return f"verification of membership {self.membership_id} to {self.email}"

    @property
    def is_open(self) -> bool:
        return self.confirmed_at is None and self.superseded_at is None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class MinSideInvite(models.Model):
    """A single-use invitation to create a Min side login for ``person`` (R-ACT-4,
    R-ACT-5). Only the code's SHA-256 is stored; the code itself is in the e-mail."""

    club = models.ForeignKey(
        "members.Club", on_delete=models.CASCADE, related_name="min_side_invites"
    )
    person = models.ForeignKey(
        "members.Person", on_delete=models.CASCADE, related_name="min_side_invites"
    )
    email = models.EmailField(_("e-mail"))
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    key = models.CharField(max_length=150, unique=True, help_text="Idempotency key.")
    message = models.ForeignKey(
        "comms.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("used by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("Min side invitation")
        verbose_name_plural = _("Min side invitations")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["person", "-created_at"], name="minside_invite_person")]

    def __str__(self) -> str:
        return f"Min side invitation for person {self.person_id}"

    @property
    def is_used(self) -> bool:
        return self.used_at is not None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at
