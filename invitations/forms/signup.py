from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _


def _password_help() -> str:
    return " ".join(str(text) for text in password_validation.password_validators_help_texts())


class SignupForm(forms.Form):
    """A new Min side login: the e-mail is the username (the invited address is
    suggested), and a password typed twice, checked by Django's password validators."""

    email = forms.EmailField(
        label=_("E-mail (your username)"),
        widget=forms.EmailInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=lazy(_password_help, str)(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email_taken=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.email_taken = email_taken or (lambda email: False)
        self.login_exists = False

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if self.email_taken(email):
            self.login_exists = True
            raise forms.ValidationError(
                _("There is a login with this e-mail address already."), code="email_taken"
            )
        return email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first:
            candidate = get_user_model()(email=data.get("email") or "")
            try:
                password_validation.validate_password(first, user=candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        return data
