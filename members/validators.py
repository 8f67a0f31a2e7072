"""Validators for Norwegian numbers, each backed by python-stdnum (DOMAIN.md §2)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import kontonr, orgnr


def validate_org_number(value: str) -> None:
    digits = re.sub(r"\D", "", value or "")
    if len(digits) != 9:
        raise ValidationError(_("An organisation number has 9 digits."), code="length")
    try:
        orgnr.validate(digits)
    except StdnumError as exc:
        raise ValidationError(_("This organisation number is not valid."), code="invalid") from exc


def validate_bank_account(value: str) -> None:
    digits = re.sub(r"\D", "", value or "")
    # stdnum also accepts 7-digit postgiro numbers; an account number has exactly 11.
    if len(digits) != 11:
        raise ValidationError(_("A bank account number has 11 digits."), code="length")
    try:
        kontonr.validate(digits)
    except StdnumError as exc:
        raise ValidationError(_("This bank account number is not valid."), code="invalid") from exc


def digits_only(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def format_org_number(value: str) -> str:
    d = digits_only(value)
    return f"{d[:3]} {d[3:6]} {d[6:]}" if len(d) == 9 else value


def format_bank_account(value: str) -> str:
    d = digits_only(value)
    return f"{d[:4]}.{d[4:6]}.{d[6:]}" if len(d) == 11 else value


validate_sms_sender = RegexValidator(
    r"^[A-Za-z0-9]{1,11}$",
    _("An SMS sender name has at most 11 letters (A–Z) and digits, without spaces."),
)
validate_postal_code = RegexValidator(r"^\d{4}$", _("A Norwegian postal code has 4 digits."))


def validate_mobile(number) -> None:
    """A number a text message reaches (``number`` is a parsed PhoneNumber): a Norwegian
    one has 8 digits and starts with 4 or 9 (DOMAIN.md §7); a foreign one must be valid."""
    if number.country_code == 47:
        national = str(number.national_number)
        if len(national) != 8 or national[0] not in "49":
            raise ValidationError(
                _("A Norwegian mobile number has 8 digits and starts with 4 or 9."),
                code="not_mobile",
            )


def validate_reminder_days(value: str) -> None:
    parts = [p.strip() for p in (value or "").split(",") if p.strip()]
    if not all(p.isdigit() and 0 < int(p) <= 365 for p in parts):
        raise ValidationError(_("Write days after the due date as numbers, e.g. 14, 28."))
    days = [int(p) for p in parts]
    if days != sorted(set(days)):
        raise ValidationError(_("Reminder days must be increasing, e.g. 14, 28."))
