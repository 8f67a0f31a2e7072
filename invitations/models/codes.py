"""One-time codes sent by SMS to confirm a mobile number (R-REG-3, R-SEC-4).

The rules live in ``invitations.services.phone_codes``; a row is one code sent. Only a
keyed hash of the code is stored. The rows are also the rate limit's memory (codes per
number and per IP address in the last hour), so the limits hold across web processes
and restarts.

Not club data: a code is asked for on the public registration pages, before there is a
member, and read only there, by number. ``club`` is the club whose name the SMS is sent
in, so the table has a plain manager.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PhoneCode(models.Model):
    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(_("mobile"), max_length=16, help_text="E.164")
    purpose = models.CharField(
        max_length=100, help_text="What the code confirms, e.g. invitation:<id>."
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    salt = models.CharField(max_length=32, editable=False)
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        "comms.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["phone", "-created_at"], name="phone_code_phone"),
            models.Index(fields=["ip", "-created_at"], name="phone_code_ip"),
        ]

    def __str__(self) -> str:
        return f"code to {self.phone} ({self.purpose})"

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at
