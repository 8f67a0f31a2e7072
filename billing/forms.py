"""Forms of the billing pages. Amounts are typed the Norwegian way ("1 234,50", with or
without "kr"); a wrong one gets a plain error and nothing is lost."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing import queries, services
from billing.models import Agreement, Fee, PriceRule
from members.forms import DATE_WIDGET
from members.models import Group, MembershipCategory

MAX_AMOUNT = Decimal("9999999999.99")


class MoneyField(forms.DecimalField):
    """NOK with øre: "1 234,50", "1234.50" and "1 234,50 kr" are the same amount."""

    default_error_messages = {
        "invalid": _("Write an amount in kroner, like 1 250,00."),
        "max_decimal_places": _("An amount has at most two decimals (øre)."),
        "min_value": _("The amount cannot be below %(limit_value)s."),
        "max_value": _("The amount is too large."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_value", MAX_AMOUNT)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(max_digits=12, decimal_places=2, localize=True, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removesuffix("kr").removesuffix(",-").strip()
        return super().to_python(value)


class SeenStateField(forms.CharField):
    """The invoice's money as the page showed it (``services.money_state``)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(max_length=100, **kwargs)


# --- fees and price rules -------------------------------------------------------------


class FeeForm(forms.ModelForm):
    price = MoneyField(label=_("Price"))
    category = forms.ModelChoiceField(
        label=_("Membership category"),
        queryset=MembershipCategory.objects.none(),
        required=False,
        help_text=_("Membership fee: the category whose members pay it."),
    )
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=Group.objects.none(),
        required=False,
        help_text=_("Class fee, or a training fee for one group."),
    )

    class Meta:
        model = Fee
        fields = ["name", "kind", "category", "group", "sport", "price", "period", "vat_rate"]
        help_texts = {"sport": _("Training fee for everyone in the groups of this sport.")}

    def __init__(self, *args, club, **kwargs):
        super().__init__(*args, **kwargs)
        self.club = club
        self.instance.club = club
        self.fields["category"].queryset = MembershipCategory.objects.filter(club=club)
        self.fields["group"].queryset = Group.objects.filter(club=club).order_by("name")
        self.fields["vat_rate"].localize = True
        self.fields["vat_rate"].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        self.in_use = queries.fee_in_use(self.instance)
        if self.in_use:
            for name in ("kind", "period"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "The fee is in use (agreements or invoices): make a new fee to change this."
                )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = Fee.objects.filter(club=self.club, name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("The club has a fee with this name already."))
        return name


class PriceRuleForm(forms.ModelForm):
    amount = MoneyField(label=_("Price for these persons"), required=False)
    percent = forms.DecimalField(
        label=_("or discount (%)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    class Meta:
        model = PriceRule
        fields = [
            "kind",
            "name",
            "min_age",
            "max_age",
            "age_reference",
            "min_position",
            "amount",
            "percent",
            "sort_order",
        ]
        labels = {"name": _("Text on the invoice line"), "sort_order": _("Order")}
        help_texts = {
            "name": _("Leave empty to describe the rule itself, e.g. “age 6–12: 500,00”."),
            "sort_order": _("The first rule of each kind that fits a person applies."),
        }
        widgets = {"kind": forms.RadioSelect}

    def __init__(self, *args, fee: Fee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = PriceRule.Kind.choices  # no empty choice
        self.instance.fee = fee
        self.instance.club_id = fee.club_id

    def clean(self):
        data = super().clean()
        # A price or percent that did not read has its own error: stand in for it, so
        # the rule's own checks (the ages) speak too instead of "give a price".
        for name, other in (("amount", "percent"), ("percent", "amount")):
            if self.has_error(name) and data.get(other) is None:
                setattr(self.instance, name, Decimal("0"))
                setattr(self.instance, other, None)
        return data


# --- agreements ------------------------------------------------------------------------


class AgreementForm(forms.Form):
    """An agreement made by the admin on the member card (R-BIL-2)."""

    fee = forms.ModelChoiceField(label=_("Fee"), queryset=Fee.objects.none())
    payer = forms.TypedChoiceField(
        label=_("Invoice recipient"), coerce=int, required=False, empty_value=None
    )
    next_billing_date = forms.DateField(
        label=_("First billed on"),
        widget=DATE_WIDGET,
        help_text=_("The first invoice run on or after this date bills the first period."),
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        club, person = membership.club, membership.person
        self.membership = membership
        live = Agreement.objects.filter(club=club, person=person, cancelled_at__isnull=True)
        self.fields["fee"].queryset = (
            Fee.objects.filter(club=club, is_active=True)
            .exclude(pk__in=live.values("fee_id"))
            .order_by("kind", "name")
        )
        self.payers = {p.pk: p for p in [person, *person.guardians.order_by("pk")]}
        household = membership.household
        if household is not None and household.payer_id:
            self.payers.setdefault(household.payer_id, household.payer)
        automatic = services.payer_for(membership)
        choices = [("", _("Automatic: %(name)s") % {"name": automatic.full_name})]
        choices += [(pk, p.full_name) for pk, p in self.payers.items()]
        self.fields["payer"].choices = choices
        self.fields["next_billing_date"].initial = services.first_billing_date(club)

    def clean_payer(self):
        pk = self.cleaned_data["payer"]
        return self.payers[pk] if pk is not None else None


class AgreementCancelForm(forms.Form):
    ends_on = forms.DateField(
        label=_("Last day"),
        widget=DATE_WIDGET,
        help_text=_("No period starting after this day is billed."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].initial = timezone.localdate()


# --- invoice runs ----------------------------------------------------------------------


class PreviewForm(forms.Form):
    date = forms.DateField(label=_("Run date"), widget=DATE_WIDGET, required=False)

    def run_date(self):
        if self.is_valid() and self.cleaned_data["date"]:
            return self.cleaned_data["date"]
        return timezone.localdate()


class StartRunForm(forms.Form):
    """Start a run after its preview (R-BIL-11). A run is made with today's date: the
    page left open past midnight must be looked at again first."""

    run_date = forms.DateField(widget=forms.HiddenInput)
    send = forms.BooleanField(
        label=_("Send the invoices (e-mail, or the list for post) when they are made"),
        required=False,
        initial=True,
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_run_date(self):
        day = self.cleaned_data["run_date"]
        if day != timezone.localdate():
            raise ValidationError(
                _(
                    "An invoice run is made with today's date. Look at today's preview, "
                    "then start the run."
                )
            )
        return day


# --- credit notes and payments ---------------------------------------------------------


class CreditForm(forms.Form):
    amount = MoneyField(
        label=_("Amount to credit"),
        required=False,
        min_value=Decimal("0.01"),
        help_text=_("Leave empty to credit everything not credited yet."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)
    seen = SeenStateField()


class PaymentForm(forms.Form):
    amount = MoneyField(label=_("Amount received"), min_value=Decimal("0.01"))
    paid_on = forms.DateField(label=_("Date received"), widget=DATE_WIDGET)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("E.g. the bank's archive reference. The same reference twice is one payment."),
    )
    seen = SeenStateField()

    def clean_paid_on(self):
        day = self.cleaned_data["paid_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        return day


class RefundForm(PaymentForm):
    amount = MoneyField(label=_("Amount paid back"), min_value=Decimal("0.01"))
    paid_on = forms.DateField(label=_("Date paid back"), widget=DATE_WIDGET)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Shown on the credit note that goes with the refund."),
    )
