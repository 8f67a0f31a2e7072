from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class Period(models.TextChoices):
    """How much time one charge of a fee covers (SPEC §2)."""

    YEAR = "year", _("Year")
    HALF_YEAR = "half_year", _("Half-year")
    MONTH = "month", _("Month")
    ONCE = "once", _("Once")


PERIOD_MONTHS = {Period.YEAR: 12, Period.HALF_YEAR: 6, Period.MONTH: 1, Period.ONCE: 0}


class Fee(models.Model):
    """Something a club charges for (R-BIL-1): a membership fee per category, a training
    fee per group or sport, a class fee per group, or a one-off product."""

    class Kind(models.TextChoices):
        MEMBERSHIP = "membership", _("Membership fee")
        TRAINING = "training", _("Training fee")
        CLASS = "class", _("Class fee")
        PRODUCT = "product", _("Product")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="fees")
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    category = models.ForeignKey(
        "members.MembershipCategory",
        verbose_name=_("membership category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fees",
    )
    group = models.ForeignKey(
        "members.Group",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fees",
    )
    sport = models.CharField(_("sport / activity"), max_length=100, blank=True)
    price = money_field(_("price"), validators=[MinValueValidator(Decimal("0"))])
    period = models.CharField(_("period"), max_length=9, choices=Period.choices)
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Membership fees and sports participation are normally outside VAT: 0."),
    )
    account_number = models.CharField(
        _("income account"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{4,6}$", _("A ledger account is 4 to 6 digits."))],
        help_text=_("For the bookkeeping export; empty: the club's default income account."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["club", "name"], name="fee_unique_name_per_club"),
            models.CheckConstraint(condition=Q(price__gte=0), name="fee_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.kind == self.Kind.MEMBERSHIP and not self.category_id:
            raise ValidationError({"category": _("A membership fee belongs to a category.")})
        if self.kind == self.Kind.CLASS and not self.group_id:
            raise ValidationError({"group": _("A class fee belongs to a group.")})
        if self.kind == self.Kind.TRAINING and not (self.group_id or self.sport):
            raise ValidationError(_("A training fee belongs to a group or a sport."))


class PriceRule(models.Model):
    """A rule that changes a fee's price for some persons (R-BIL-3). It is evaluated when
    the invoice is made (``billing.pricing``), and the invoice line names the rule.

    * ``age_band``: the person's age on the reference date is within ``min_age`` …
      ``max_age`` (both inclusive, either may be open).
    * ``family``: the person is the ``min_position``-th or later member of their
      household on this fee (see ``billing.pricing`` for the order).

    The rule sets either a fixed ``amount`` (the price for those persons) or a
    ``percent`` off the price it is applied to.
    """

    class Kind(models.TextChoices):
        AGE_BAND = "age_band", _("Age band")
        FAMILY = "family", _("Family discount")

    class AgeReference(models.TextChoices):
        PERIOD_START = "period_start", _("Age on the first day of the period billed")
        YEAR_END = "year_end", _("Age reached in the calendar year of the period")

    club = models.ForeignKey("members.Club", on_delete=models.CASCADE, related_name="+")
    fee = models.ForeignKey(Fee, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    min_age = models.PositiveSmallIntegerField(_("from age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("to age (inclusive)"), null=True, blank=True)
    age_reference = models.CharField(
        _("age on"),
        max_length=12,
        choices=AgeReference.choices,
        default=AgeReference.PERIOD_START,
    )
    min_position = models.PositiveSmallIntegerField(
        _("from household member no."),
        default=2,
        validators=[MinValueValidator(2)],
        help_text=_("2: the second and later members of a household."),
    )
    amount = money_field(
        _("price"), null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager(club="club")

    class Meta:
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")
        ordering = ["fee", "sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(amount__isnull=False) & Q(percent__isnull=True))
                | (Q(amount__isnull=True) & Q(percent__isnull=False)),
                name="price_rule_amount_or_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.describe()

    def describe(self) -> str:
        """The rule as an invoice line prints it."""
        if self.name:
            return self.name
        if self.kind == self.Kind.AGE_BAND:
            lo, hi = self.min_age, self.max_age
            if lo is not None and hi is not None:
                what = _("age %(lo)s–%(hi)s") % {"lo": lo, "hi": hi}
            elif lo is not None:
                what = _("age %(lo)s and over") % {"lo": lo}
            else:
                what = _("age up to %(hi)s") % {"hi": hi}
        else:
            what = _("family discount from household member no. %(n)s") % {"n": self.min_position}
        if self.percent is not None:
            return f"{what}: −{self.percent.normalize():f} %"
        return f"{what}: {number_format(self.amount, 2, force_grouping=True)} kr"

    def clean(self):
        if (self.amount is None) == (self.percent is None):
            raise ValidationError(_("Give either a price or a discount in percent."))
        if self.kind == self.Kind.AGE_BAND:
            if self.min_age is None and self.max_age is None:
                raise ValidationError(_("An age band needs a lower or an upper age."))
            if None not in (self.min_age, self.max_age) and self.min_age > self.max_age:
                raise ValidationError(_("The lower age is above the upper age."))
