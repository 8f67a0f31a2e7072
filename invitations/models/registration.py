"""Invitations to register as a member (R-REG-1, R-REG-2) and the consents given while
registering (R-REG-3, R-SEC-6).

An ``Invitation`` goes to one e-mail address and/or one Norwegian mobile number. Its
link carries a random code of which only the SHA-256 is stored (as for
``MinSideInvite``): sending it again makes a new code, and the old link stops working.
"""

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from members.filters import format_phone


class InvitationState(models.TextChoices):
    """What the admin sees. ``expired`` is not stored: an invitation still ``sent`` or
    ``opened`` after ``expires_at`` is expired (no job has to run for it)."""

    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    REGISTERED = "registered", _("Registered")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


OPEN_STATES = (InvitationState.SENT, InvitationState.OPENED)


class InvitationQuerySet(models.QuerySet):
    def with_state(self, now=None):
        """Annotate ``state_now`` (the stored status, or ``expired``) for filtering and
        counting in the database."""
        now = now or timezone.now()
        return self.annotate(
            state_now=Case(
                When(
                    Q(status__in=OPEN_STATES) & Q(expires_at__lte=now),
                    then=Value(InvitationState.EXPIRED.value),
                ),
                default="status",
                output_field=models.CharField(),
            )
        )


InvitationManager = models.Manager.from_queryset(InvitationQuerySet)


class Invitation(models.Model):
    """One invitation to register (R-REG-1). ``user`` is the login created (or logged in
    with) through its link (R-REG-2, R-REG-3); one invitation serves one login."""

    Status = InvitationState

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("mobile"), max_length=16, blank=True, help_text="E.164")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    key = models.CharField(max_length=150, unique=True, help_text="Idempotency key.")
    status = models.CharField(
        _("status"), max_length=10, choices=InvitationState.choices, default=InvitationState.SENT
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    resend_count = models.PositiveSmallIntegerField(_("sent again"), default=0)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registration_invitations",
    )
    accepted_at = models.DateTimeField(
        _("login created"), null=True, blank=True, help_text=_("A login was made or used.")
    )
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    email_message = models.ForeignKey(
        "comms.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sms_message = models.ForeignKey(
        "comms.OutboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(club="club", _manager_class=InvitationManager)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["club", "-created_at"], name="invitation_club_created"),
            models.Index(fields=["club", "email"], name="invitation_club_email"),
            models.Index(fields=["club", "phone"], name="invitation_club_phone"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(email="", phone=""), name="invitation_has_an_address"
            )
        ]

    def __str__(self) -> str:
        return f"invitation to {self.address} ({self.status})"

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    @property
    def address(self) -> str:
        return " / ".join(a for a in (self.email, self.phone_display) if a)

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    def state_at(self, now=None) -> str:
        """The stored status, or ``expired`` for an open invitation past its date."""
        if self.status in OPEN_STATES and self.is_expired(now):
            return InvitationState.EXPIRED.value
        return self.status

    @property
    def state(self) -> str:
        return self.state_at()

    def get_state_display(self) -> str:
        return str(InvitationState(self.state).label)

    @property
    def messages(self) -> list:
        """The last e-mail and SMS sent with the link (for their delivery status)."""
        return [m for m in (self.email_message, self.sms_message) if m is not None]


class ConsentKind(models.TextChoices):
    SPORT_RULES = "sport_rules", _("The sport's rules")
    CLUB_TERMS = "club_terms", _("The club's terms")


class Consent(models.Model):
    """One consent given (R-REG-3, R-SEC-6): who, when, and the exact text agreed to,
    with its version (for the club's terms: a digest of the text, so an edited text is
    a new version)."""

    Kind = ConsentKind

    person = models.ForeignKey("members.Person", on_delete=models.CASCADE, related_name="consents")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    club = models.ForeignKey(
        "members.Club",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The club whose terms these are; empty for the sport's rules.",
    )
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="consents"
    )
    kind = models.CharField(_("consent to"), max_length=12, choices=ConsentKind.choices)
    version = models.CharField(_("version"), max_length=40)
    text = models.TextField(_("text agreed to"))
    given_at = models.DateTimeField(_("given"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-pk"]
        indexes = [models.Index(fields=["person", "kind"], name="consent_person_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.version} by person {self.person_id}"
