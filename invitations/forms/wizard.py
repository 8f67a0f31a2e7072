"""The steps of a new user in the registration wizard (R-REG-3)."""

from django import forms
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum.no import fodselsnummer

from invitations.forms.signup import SignupForm
from invitations.recipients import clean_mobile
from members import identity
from members.forms import DATE_WIDGET, NationalIdMixin, national_id_field
from members.models.persons import Gender

YES, NO = "yes", "no"
UNSPECIFIED = "unspecified"  # "Prefer not to say": stored as no gender


class IdentityForm(NationalIdMixin, forms.Form):
    """Step 1: the national id number (fødselsnummer or D-number), which gives birth
    date and gender; or, for people without one, birth date and gender typed in. The
    name is asked in both cases."""

    has_national_id = forms.ChoiceField(
        label=gettext_lazy("Do you have a Norwegian national id number?"),
        choices=[
            (YES, gettext_lazy("Yes, a national id number (fødselsnummer) or D-number")),
            (NO, gettext_lazy("No, I do not have one")),
        ],
        widget=forms.RadioSelect,
        initial=YES,
    )
    national_id = national_id_field(
        label=gettext_lazy("National id number (11 digits)"),
        help_text=gettext_lazy("Your birth date (ddmmyy) and five more digits."),
    )
    first_name = forms.CharField(
        label=gettext_lazy("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=gettext_lazy("Last name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    birth_date = forms.DateField(
        label=gettext_lazy("Birth date"), required=False, widget=DATE_WIDGET
    )
    gender = forms.ChoiceField(
        label=gettext_lazy("Gender"),
        required=False,
        choices=[
            (Gender.FEMALE, gettext_lazy("Female")),
            (Gender.MALE, gettext_lazy("Male")),
            (UNSPECIFIED, gettext_lazy("Prefer not to say")),
        ],
        widget=forms.RadioSelect,
    )

    missing_number = gettext_lazy("Type your national id number (11 digits).")
    missing_birth_date = gettext_lazy("Type your birth date, like 31.12.1990.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_date"].widget.attrs["autocomplete"] = "bday"

    def clean(self):
        data = super().clean()
        if data.get("has_national_id") == YES:
            number = data.get("national_id")
            if not number and "national_id" not in self.errors:
                self.add_error("national_id", self.missing_number)
            if number:
                data["birth_date"] = identity.birth_date_from_national_id(number)
                data["gender"] = _gender_of(number)
        else:
            data["national_id"] = ""
            born = data.get("birth_date")
            if born is None and "birth_date" not in self.errors:
                self.add_error("birth_date", self.missing_birth_date)
            elif born is not None and born > timezone.localdate():
                self.add_error("birth_date", _("The birth date cannot be in the future."))
            if not data.get("gender"):
                self.add_error("gender", _("Choose one of the three."))
            elif data["gender"] == UNSPECIFIED:
                data["gender"] = Gender.UNKNOWN
        return data


def _gender_of(number: str) -> str:
    return Gender.MALE if fodselsnummer.get_gender(number) == "M" else Gender.FEMALE


class PhoneForm(forms.Form):
    """Step 2a: the mobile number a one-time code is sent to."""

    phone = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self):
        try:
            return clean_mobile(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise ValidationError(
                _("“%(number)s” is not a Norwegian mobile number: %(reason)s.")
                % {"number": self.cleaned_data["phone"], "reason": exc.messages[0]}
            ) from exc


class CodeForm(forms.Form):
    """Step 2b: the six digits from the SMS."""

    code = forms.CharField(
        label=gettext_lazy("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": r"\s*(\d\s*){6}",
                "maxlength": "12",
            }
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise ValidationError(_("The code has 6 digits."))
        return code


class AccountForm(SignupForm):
    """Step 3: the username (an e-mail address; the invited one is suggested) and a
    password, checked by the password validators and kept only as its hash. Coming
    back to the step, the password fields may stay empty to keep the one chosen."""

    def __init__(self, *args, has_password: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = gettext_lazy("E-mail address (your username)")
        self.has_password = has_password
        if has_password:
            for name in ("password1", "password2"):
                self.fields[name].required = False
            self.fields["password1"].help_text = _(
                "You have chosen a password already: leave both fields empty to keep it."
            )

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if second and not first and "password1" not in self.errors:
            self.add_error("password1", _("Type the password in both fields."))
        elif self.has_password and not first and not second:
            data["password_hash"] = None  # keep the saved one
        elif first and not self.errors:
            data["password_hash"] = make_password(first)
        return data


class ConsentForm(forms.Form):
    """Step 4: the sport's rules and, when the club has any, the club's terms.
    ``versions`` carries the versions of the texts shown, so that a text changed while
    the page was open is shown again before anyone agrees to it."""

    sport_rules = forms.BooleanField(label=gettext_lazy("I agree to the sport's rules"))
    club_terms = forms.BooleanField(label=gettext_lazy("I agree to the club's terms"))
    versions = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, texts, **kwargs):
        super().__init__(*args, **kwargs)
        self.texts = texts
        self.expected = ",".join(t.version for t in texts)
        self.fields["versions"].initial = self.expected
        if not any(t.kind == "club_terms" for t in texts):
            del self.fields["club_terms"]
        messages = {
            "sport_rules": _("You must agree to the sport's rules to become a member."),
            "club_terms": _("You must agree to the club's terms to become a member."),
        }
        for name, message in messages.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message

    def clean_versions(self):
        if self.cleaned_data["versions"] != self.expected:
            self.data = self.data.copy()
            self.data["versions"] = self.expected  # agreeing now is to the new text
            raise ValidationError(
                _("The terms have just been changed. Please read them again before you agree.")
            )
        return self.expected
