"""Collections (issue 8, R-BIL-7, R-BIL-10, R-BIL-12, DOMAIN.md §4–5): the club's billing
settings for Nets, reminders and bookkeeping; AvtaleGiro mandates and the claims written
for them; the OCR Giro files read; reminders sent."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .fees import money_field

ledger_account = RegexValidator(r"^\d{4,6}$", _("A ledger account is 4 to 6 digits."))


class BillingSettings(models.Model):
    """A club's settings for collections, one row per club (made when first needed).
    Nets' figures come from the club's agreement with Nets (DOMAIN.md §5); the reminder
    fee is capped by the operator's ``REMINDER_FEE_CAP`` (DOMAIN.md §4)."""

    club = models.OneToOneField(
        "members.Club", on_delete=models.CASCADE, related_name="billing_settings"
    )
    # Nets (AvtaleGiro claims, OCR Giro)
    nets_customer_id = models.CharField(
        _("Nets customer number (data sender)"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{8}$", _("Nets' customer number is 8 digits."))],
    )
    nets_agreement_id = models.CharField(
        _("Nets assignment agreement id"),
        max_length=9,
        blank=True,
        validators=[RegexValidator(r"^\d{9}$", _("The agreement id is 9 digits."))],
    )
    claim_lead_days = models.PositiveSmallIntegerField(
        _("days before due date the claim file must reach Nets"),
        default=9,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    notice_days = models.PositiveSmallIntegerField(
        _("days before due date the payer is notified"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    # Reminders (R-BIL-10); the schedule itself is Club.reminder_days
    reminder_fee = money_field(
        _("reminder fee"), default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    reminder_by_sms = models.BooleanField(_("also remind by SMS"), default=True)
    # Bookkeeping (R-BIL-12): the accounts of the journal export
    receivables_account = models.CharField(
        _("account for receivables"), max_length=6, default="1500", validators=[ledger_account]
    )
    bank_account_ledger = models.CharField(
        _("account for the bank"), max_length=6, default="1920", validators=[ledger_account]
    )
    income_account = models.CharField(
        _("default income account"), max_length=6, default="3900", validators=[ledger_account]
    )
    reminder_fee_account = models.CharField(
        _("account for reminder fees"), max_length=6, default="8050", validators=[ledger_account]
    )

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")

    def __str__(self) -> str:
        return str(self.club)


class AvtaleGiroMandate(models.Model):
    """A payer's AvtaleGiro agreement with a club (R-BIL-7, R-ACT-6): made in the payer's
    online bank with the club's KID for that payer; Nets reports it (or the migration
    extract's ``Betalingsmåte`` carries it). ``notify_by_bank``: the payer's bank sends
    the notice of each debit; when not, the club must send it (DOMAIN.md §5)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        MIGRATED = "migrated", _("Migrated")
        NETS = "nets", _("From Nets")
        ADMIN = "admin", _("Registered by admin")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    payer = models.ForeignKey(
        "members.Person",
        verbose_name=_("payer"),
        on_delete=models.PROTECT,
        related_name="avtalegiro_mandates",
    )
    kid = models.CharField(_("KID of the agreement"), max_length=25)
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.ACTIVE
    )
    bank_reference = models.CharField(_("bank's mandate reference"), max_length=40, blank=True)
    notify_by_bank = models.BooleanField(_("the bank notifies the payer"), default=True)
    max_amount = money_field(_("highest amount per debit"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("AvtaleGiro agreement")
        verbose_name_plural = _("AvtaleGiro agreements")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["club", "payer"],
                condition=Q(status="active"),
                name="mandate_one_active_per_payer",
            ),
            models.UniqueConstraint(
                fields=["club", "kid"],
                condition=Q(status="active"),
                name="mandate_one_active_per_kid",
            ),
        ]

    def __str__(self) -> str:
        return f"AvtaleGiro {self.kid}"


class ClaimFile(models.Model):
    """One file of AvtaleGiro payment claims (or cancellations) written for Nets with
    ``netsgiro``; stored as written, downloaded by the admin or written by the operator's
    ``avtalegiro_claims`` command."""

    class Kind(models.TextChoices):
        CLAIMS = "claims", _("Payment claims")
        CANCELLATIONS = "cancellations", _("Cancellations")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=13, choices=Kind.choices, default=Kind.CLAIMS)
    run_date = models.DateField(_("date"))
    transmission_number = models.CharField(_("transmission number"), max_length=7)
    file = models.FileField(_("file"), upload_to="nets/claims/", blank=True)
    count = models.PositiveIntegerField(_("claims"), default=0)
    total = money_field(_("total"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("claim file")
        verbose_name_plural = _("claim files")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["club", "transmission_number"], name="claim_file_transmission_once"
            )
        ]

    def __str__(self) -> str:
        return self.transmission_number


class Claim(models.Model):
    """An invoice claimed by AvtaleGiro: at most one live claim per invoice, so a re-run
    writes no second claim. ``notified_at``: when the club sent the payer the notice
    itself (the bank does not, per the mandate)."""

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="avtalegiro_claims"
    )
    mandate = models.ForeignKey(AvtaleGiroMandate, on_delete=models.PROTECT, related_name="claims")
    claim_file = models.ForeignKey(ClaimFile, on_delete=models.PROTECT, related_name="claims")
    kid = models.CharField(_("KID"), max_length=25)
    amount = money_field(_("amount"))
    due_date = models.DateField(_("due date"))
    notified_at = models.DateTimeField(_("payer notified"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("AvtaleGiro claim")
        verbose_name_plural = _("AvtaleGiro claims")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(cancelled_at__isnull=True),
                name="claim_once_per_invoice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kid} {self.amount}"


class PaymentFile(models.Model):
    """An OCR Giro file read (R-BIL-7): the same file twice is refused by its checksum;
    each transaction is also unique as a Payment (provider ``ocr``, reference
    transmission number + transaction number), so a file that overlaps an earlier one
    records nothing twice."""

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("checksum"), max_length=64)
    file = models.FileField(_("file"), upload_to="nets/ocr/", blank=True)
    transactions = models.PositiveIntegerField(_("transactions"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    unmatched = models.PositiveIntegerField(_("unmatched"), default=0)
    duplicates = models.PositiveIntegerField(_("already recorded"), default=0)
    total = money_field(_("total"), default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("OCR file")
        verbose_name_plural = _("OCR files")
        ordering = ["-imported_at"]
        constraints = [models.UniqueConstraint(fields=["club", "sha256"], name="payment_file_once")]

    def __str__(self) -> str:
        return self.name


class Reminder(models.Model):
    """A reminder sent for an overdue invoice (R-BIL-10): level 1, 2, … by the club's
    schedule (``Club.reminder_days``), once per invoice and level. A fee is charged only
    as DOMAIN.md §4 allows (at the earliest 14 days after due, at most two, a new
    deadline of at least 14 days); ``fee`` is what this reminder added to the claim."""

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="reminders"
    )
    level = models.PositiveSmallIntegerField(_("reminder no."))
    run_date = models.DateField(_("date"))
    new_due_date = models.DateField(_("new due date"))
    open_amount = money_field(_("amount reminded"))
    fee = money_field(_("reminder fee"), default=0)
    by_email = models.BooleanField(_("by e-mail"), default=False)
    by_sms = models.BooleanField(_("by SMS"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-run_date", "invoice", "level"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "level"], name="reminder_once_per_level"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="reminder_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} #{self.level}"
