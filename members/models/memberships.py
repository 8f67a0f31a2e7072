from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager
from simple_history.models import HistoricalRecords


class MembershipCategory(models.Model):
    """A club's own membership category ("Ordinær", "Barn 6–12" …). Its fee comes with
    the billing app."""

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("open for new members"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("membership category")
        verbose_name_plural = _("membership categories")
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["club", "name"], name="category_unique_name_per_club")
        ]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    """Members living together (R-MEM-3); the payer receives the household's invoices."""

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="households")
    name = models.CharField(_("name"), max_length=200)
    payer = models.ForeignKey(
        "members.Person",
        verbose_name=_("invoice recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.name


class PaymentMethod(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    AVTALEGIRO = "avtalegiro", _("AvtaleGiro")


class Membership(models.Model):
    """A Person in a Club (SPEC §2, §3). Status changes go through
    ``members.services.change_status``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        AWAITING_VERIFICATION = "awaiting_verification", _("Awaiting verification")
        SENT_FOR_APPROVAL = "sent_for_approval", _("Sent for approval")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        MIGRATED = "migrated", _("Migrated")
        INVITED = "invited", _("Invited")
        ADMIN = "admin", _("Created by admin")
        SELF = "self", _("Self-registered")

    # no index of its own: the composite indexes below all lead with the club
    club = models.ForeignKey(
        "members.Club", on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    person = models.ForeignKey(  # indexed by membership_unique_per_club (person, club)
        "members.Person", on_delete=models.PROTECT, related_name="memberships", db_index=False
    )
    category = models.ForeignKey(  # indexed by membership_category (category, club, status)
        MembershipCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
        db_index=False,
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="memberships",
        db_index=False,  # membership_household: most memberships have none
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.PENDING
    )
    member_number = models.CharField(_("member number"), max_length=40, blank=True)
    payment_method = models.CharField(
        _("payment method"), max_length=12, choices=PaymentMethod.choices, default="invoice"
    )
    next_billing_date = models.DateField(
        _("next billing date"),
        null=True,
        blank=True,
        help_text=_("No invoice before this date (carried over from the old system)."),
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    started_on = models.DateField(_("member since"), default=timezone.localdate)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(club="club")
    # History is read per membership (by id, by date): no index on its other columns.
    history = HistoricalRecords(no_db_index=["club", "person", "category", "household"])

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            # The person first: it is also the index of a person's memberships (each
            # membership an import writes costs one index entry less).
            models.UniqueConstraint(fields=["person", "club"], name="membership_unique_per_club")
        ]
        indexes = [
            models.Index(fields=["club", "status"], name="membership_club_status"),
            # The overview's category filter and its count (with or without a status):
            # an index-only scan instead of visiting ~half the club's rows. The category
            # first: it is also the index of a category's memberships.
            models.Index(fields=["category", "club", "status"], name="membership_category"),
            models.Index(fields=["club", "started_on"], name="membership_club_started"),
            models.Index(fields=["club", "member_number"], name="membership_club_number"),
            models.Index(
                fields=["household"],
                name="membership_household",
                condition=models.Q(household__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.club_id}"
