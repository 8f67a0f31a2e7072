from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from members.validators import (
    format_bank_account,
    format_org_number,
    validate_bank_account,
    validate_org_number,
    validate_postal_code,
    validate_reminder_days,
    validate_sms_sender,
)


class Club(models.Model):
    """The tenant. Settings follow SPEC §9."""

    slug = models.SlugField(_("short name (in addresses)"), unique=True, max_length=60)
    name = models.CharField(_("official name"), max_length=200)
    org_number = models.CharField(
        _("organisation number"), max_length=9, blank=True, validators=[validate_org_number]
    )
    bank_account = models.CharField(
        _("bank account"), max_length=11, blank=True, validators=[validate_bank_account]
    )
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    postal_code = models.CharField(
        _("postal code"), max_length=4, blank=True, validators=[validate_postal_code]
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    logo = models.FileField(_("logo"), upload_to="club-logos/", blank=True)
    email_sender = models.EmailField(_("e-mail sender"), blank=True)
    sms_sender = models.CharField(
        _("SMS sender name"), max_length=11, blank=True, validators=[validate_sms_sender]
    )
    approval_required = models.BooleanField(_("membership approval required"), default=False)
    default_billing_day = models.PositiveSmallIntegerField(
        _("default billing day"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(28)],
        help_text=_("1–28: new members are invoiced on this day of the month. 0: pay at once."),
    )
    due_days = models.PositiveSmallIntegerField(
        _("days until due"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    kid_length = models.PositiveSmallIntegerField(
        _("KID length"),
        default=9,
        validators=[MinValueValidator(4), MaxValueValidator(25)],
        help_text=_(
            "Digits in the KID on invoices, check digit included (as agreed with the bank)."
        ),
    )
    reminder_days = models.CharField(
        _("reminders (days after due date)"),
        max_length=50,
        blank=True,
        default="14",
        validators=[validate_reminder_days],
    )
    terms = models.TextField(_("terms and conditions"), blank=True)
    accepts_invoice = models.BooleanField(
        _("accepts invoice (PDF by e-mail or post)"), default=True
    )
    accepts_avtalegiro = models.BooleanField(_("accepts AvtaleGiro"), default=False)
    accepts_card = models.BooleanField(_("accepts card payment"), default=False)
    require_admin_2fa = models.BooleanField(
        _("require two-factor login for club admins"), default=False
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("club")
        verbose_name_plural = _("clubs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def org_number_display(self) -> str:
        return format_org_number(self.org_number)

    @property
    def bank_account_display(self) -> str:
        return format_bank_account(self.bank_account)
