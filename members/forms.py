from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.formfields import PhoneNumberField

from members import identity
from members.models import Club, Membership, MembershipCategory, Person
from members.validators import validate_mobile, validate_postal_code

DATE_WIDGET = forms.DateInput(
    attrs={"placeholder": pgettext_lazy("date format hint", "dd.mm.yyyy"), "inputmode": "numeric"}
)


def national_id_field(label=None, help_text="") -> forms.CharField:
    return forms.CharField(
        label=label or _("National id number"),
        required=False,
        max_length=14,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class NationalIdMixin:
    """Cleans ``national_id`` with the one rule in members.identity; empty stays empty."""

    def clean_national_id(self):
        value = self.cleaned_data["national_id"]
        return identity.clean_national_id(value) if value.strip() else ""

    def check_birth_date(self, data: dict, field: str, message) -> None:
        number, born = data.get("national_id"), data.get("birth_date")
        if number and born and identity.birth_date_from_national_id(number) != born:
            self.add_error(field, message)


PERSON_FIELDS = [
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "email",
    "mobile",
    "address_line",
    "postal_code",
    "city",
]


class ClubSettingsForm(forms.ModelForm):
    class Meta:
        model = Club
        fields = [
            "name",
            "org_number",
            "bank_account",
            "address_line",
            "postal_code",
            "city",
            "logo",
            "email_sender",
            "sms_sender",
            "approval_required",
            "default_billing_day",
            "due_days",
            "reminder_days",
            "accepts_invoice",
            "accepts_avtalegiro",
            "accepts_card",
            "require_admin_2fa",
            "terms",
        ]
        widgets = {"terms": forms.Textarea(attrs={"rows": 8})}

    def clean_org_number(self):
        return "".join(ch for ch in self.cleaned_data["org_number"] if ch.isdigit())

    def clean_bank_account(self):
        return "".join(ch for ch in self.cleaned_data["bank_account"] if ch.isdigit())


class IdentitySearchForm(NationalIdMixin, forms.Form):
    """Step 1 of "create member" (R-MEM-5): exact identity only."""

    national_id = national_id_field()
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DATE_WIDGET)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("national_id") and not (
            data.get("first_name") and data.get("last_name") and data.get("birth_date")
        ):
            raise ValidationError(
                _("Give a national id number, or first name, last name and birth date.")
            )
        return data


class PersonForm(NationalIdMixin, forms.ModelForm):
    """Step 2: a new person in the registry and their membership."""

    national_id = national_id_field()
    mobile = PhoneNumberField(label=_("Mobile"), region="NO", required=False)
    category = forms.ModelChoiceField(
        label=_("Membership category"), queryset=MembershipCategory.objects.none(), required=False
    )

    class Meta:
        model = Person
        fields = PERSON_FIELDS
        widgets = {"birth_date": DATE_WIDGET}

    def __init__(self, *args, club, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = MembershipCategory.objects.filter(club=club)
        self.fields["birth_date"].required = True

    def clean(self):
        data = super().clean()
        message = _("The birth date does not match the national id number.")
        self.check_birth_date(data, "birth_date", message)
        return data


class AttachForm(forms.Form):
    person = forms.UUIDField(widget=forms.HiddenInput)
    category = forms.ModelChoiceField(
        label=_("Membership category"), queryset=MembershipCategory.objects.none(), required=False
    )

    def __init__(self, *args, club, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = MembershipCategory.objects.filter(club=club)


class PersonEditForm(NationalIdMixin, forms.ModelForm):
    """Correct a member's person data from the club (R-MIG-8 links here)."""

    mobile = PhoneNumberField(label=_("Mobile"), region="NO", required=False)
    national_id = national_id_field(
        _("New national id number"), _("Leave empty to keep the number that is registered.")
    )

    class Meta:
        model = Person
        fields = [*PERSON_FIELDS[:7], "co_line", *PERSON_FIELDS[7:]]
        widgets = {"birth_date": DATE_WIDGET}

    def clean(self):
        data = super().clean()
        self.check_birth_date(data, "national_id", _("The number does not match the birth date."))
        number = data.get("national_id")
        if number:
            digest = identity.national_id_hash(number)
            if Person.objects.filter(national_id_hash=digest).exclude(pk=self.instance.pk).exists():
                self.add_error(
                    "national_id", _("Another person is registered with this national id number.")
                )
        return data


class MembershipEditForm(forms.ModelForm):
    category = forms.ModelChoiceField(
        label=_("Membership category"), queryset=MembershipCategory.objects.none(), required=False
    )

    class Meta:
        model = Membership
        fields = ["category", "member_number", "payment_method", "next_billing_date"]
        widgets = {"next_billing_date": DATE_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = MembershipCategory.objects.filter(
            club=self.instance.club
        )


class GuardianForm(forms.Form):
    """Add a guardian to a child: the registry is searched by exact identity first."""

    first_name = forms.CharField(label=_("Guardian's first name"), max_length=150)
    last_name = forms.CharField(label=_("Guardian's last name"), max_length=150)
    email = forms.EmailField(label=_("Guardian's e-mail"), required=False)
    mobile = PhoneNumberField(label=_("Guardian's mobile"), region="NO", required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("email") or data.get("mobile")):
            raise ValidationError(_("Give the guardian's e-mail or mobile number."))
        return data


class ContactForm(forms.Form):
    """Contact details a member keeps up to date on Min side, for themself or a child
    (R-ACT-6). ``own`` turns on the browser's autofill (never for a child's form, where it
    would fill in the parent's details)."""

    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    mobile = PhoneNumberField(
        label=_("Mobile"),
        region="NO",
        required=False,
        help_text=_("A Norwegian number needs no +47, e.g. 912 34 567."),
        error_messages={
            "invalid": _(
                "Enter a mobile number, e.g. 912 34 567, or a foreign one with its country "
                "code, e.g. +46 70 123 45 67."
            )
        },
    )
    address_line = forms.CharField(label=_("Address"), max_length=200, required=False)
    co_line = forms.CharField(label=_("c/o"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=12, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)

    AUTOCOMPLETE = {
        "email": "email",
        "mobile": "tel",
        "address_line": "address-line1",
        "co_line": "address-line2",
        "postal_code": "postal-code",
        "city": "address-level2",
    }

    def __init__(self, *args, country: str = "NO", own: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.country = country or "NO"
        for name, hint in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = hint if own else "off"
        self.fields["mobile"].widget.input_type = "tel"
        if self.country == "NO":
            self.fields["postal_code"].widget.attrs["inputmode"] = "numeric"

    def clean_mobile(self):
        number = self.cleaned_data["mobile"]
        if number:
            validate_mobile(number)
        return number

    def clean_postal_code(self):
        code = self.cleaned_data["postal_code"].strip()
        if code and self.country == "NO":
            code = code.replace(" ", "")
            validate_postal_code(code)
        return code

    def clean(self):
        data = super().clean()
        if data.get("postal_code") and not data.get("city"):
            self.add_error("city", _("Give the place that goes with the postal code."))
        if data.get("city") and not data.get("postal_code") and "postal_code" not in self.errors:
            self.add_error("postal_code", _("Give the postal code that goes with the place."))
        return data
