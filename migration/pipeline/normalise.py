"""Normaliser and validator: raw text → typed values, with every problem as a readable
message. Errors reject the row; warnings drop the bad value, keep the row, and show up
on the data-quality page (R-MIG-8)."""

import re
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members import identity

ERROR = "error"
WARNING = "warning"
MAX_TEXT = 200  # longer names and addresses are cut with a warning
NAME_MAX = 150  # Person.first_name/last_name and their matching keys
CITY_MAX = 100  # Person.city
EMAIL_MAX = 254  # Person.email (EmailField)

_DATE_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
FIELD_LABELS = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "address": gettext_lazy("Address"),
    "city": gettext_lazy("City"),
    "guardian_name": gettext_lazy("Guardian's name"),
    "category": gettext_lazy("Category"),
    "groups": gettext_lazy("Groups"),
    "name": gettext_lazy("Group name"),
    "group": gettext_lazy("Group"),
    "sport": gettext_lazy("Activity"),
    "season": gettext_lazy("Season"),
}
GENDERS = {
    "m": "male",
    "mann": "male",
    "gutt": "male",
    "male": "male",
    "herre": "male",
    "k": "female",
    "kvinne": "female",
    "jente": "female",
    "f": "female",
    "female": "female",
    "dame": "female",
}
PAYMENT_METHODS = {"faktura": "invoice", "invoice": "invoice", "avtalegiro": "avtalegiro"}
# Field labels for the messages, translated only when a message is written.
EMAIL = gettext_lazy("E-mail")
MOBILE = gettext_lazy("Mobile")
GUARDIAN_EMAIL = gettext_lazy("Guardian's e-mail")
GUARDIAN_MOBILE = gettext_lazy("Guardian's mobile")
NEXT_BILLING_DATE = gettext_lazy("Next billing date")
JOINED = gettext_lazy("Joined")
COACH_EMAIL = gettext_lazy("Coach's e-mail")
BIRTH_DATE = gettext_lazy("Birth date")
REGISTERED = gettext_lazy("Registered")
# The common case of parse_mobile(), decided without phonenumbers: a Norwegian mobile
# written as 8 ASCII digits (spaces allowed) with or without +47. phonenumbers parses
# these to country 47 and exactly these 8 digits, so the result is +47 and the digits.
_NO_MOBILE = re.compile(r"(?:\+47)?([49][0-9]{7})")


@dataclass
class Problem:
    field: str
    code: str
    message: str
    severity: str = ERROR

    def as_dict(self) -> dict:
        return {
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass
class Checked:
    """One normalised row: values by field, and what was wrong with it."""

    values: dict
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def error_text(self) -> str:
        return " ".join(p.message for p in self.errors)

    def error(self, name, code, message):
        self.problems.append(Problem(name, code, message, ERROR))

    def warn(self, name, code, message):
        self.problems.append(Problem(name, code, message, WARNING))


class _EmailValidator(EmailValidator):
    """Django's e-mail validation, with its regular expression compiled at once rather
    than behind a lazy object (a proxy call per use), and each domain checked once per
    process (an extract's addresses share a few domains)."""

    user_regex = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)

    def validate_domain_part(self, domain_part):
        return _valid_domain(domain_part)


@lru_cache(maxsize=4096)
def _valid_domain(domain_part: str) -> bool:
    return EmailValidator().validate_domain_part(domain_part)


validate_email = _EmailValidator()


@lru_cache(maxsize=8192)  # dates repeat a lot in an extract (birth, billing, joined)
def parse_date(text: str) -> date | None:
    """``dd.mm.yyyy``, ``d.m.yyyy`` or ``yyyy-mm-dd``; None when empty; ValueError when
    the text is not such a date or the date does not exist."""
    value = (text or "").strip()
    if not value:
        return None
    if m := _DATE_DMY.match(value):
        day, month, year = (int(g) for g in m.groups())
    elif m := _DATE_ISO.match(value):
        year, month, day = (int(g) for g in m.groups())
    else:
        raise ValueError(value)
    return date(year, month, day)


def parse_amount(text: str) -> Decimal | None:
    """``1 250,00`` / ``1\xa0250,00`` / ``1250.00`` / ``1.250,00`` → Decimal('1250.00')."""
    value = re.sub(r"[\s\xa0\u202f]|kr\.?|NOK", "", (text or ""), flags=re.IGNORECASE)
    if not value:
        return None
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if amount < 0 or not amount.is_finite():
        raise ValueError(text)
    return amount


def parse_mobile(text: str) -> str | None:
    """E.164 for a valid number (Norwegian unless it says otherwise), None when empty."""
    value = (text or "").strip()
    if not value:
        return None
    if value.startswith("00"):
        value = "+" + value[2:]
    if m := _NO_MOBILE.fullmatch(value.replace(" ", "")):
        return "+47" + m.group(1)
    try:
        number = phonenumbers.parse(value, "NO")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(text) from exc
    if number.country_code == 47:
        # DOMAIN.md §7: 8 digits, mobiles start with 4 or 9. phonenumbers' allocation
        # tables lag behind the operators, so the range rule is ours.
        national = str(number.national_number)
        if not (len(national) == 8 and national[0] in "49"):
            raise ValueError(text)
    elif not phonenumbers.is_valid_number(number):
        raise ValueError(text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Names, cities and categories repeat across an extract's rows (both remember).
clean_name = identity.clean_name
name_key = identity.name_key


def clean_text(checked: Checked, name: str, value: str, limit: int = MAX_TEXT) -> str:
    text = clean_name(value) if value else ""
    if len(text) <= limit and (limit != NAME_MAX or len(text) * 3 <= limit):
        return text  # fits, and so does its key (casefold makes a letter three at most)
    cut = text[:limit]
    if limit == NAME_MAX:  # the matching key must fit too (casefold can lengthen: ß → ss)
        while len(name_key(cut)) > limit:
            cut = cut[:-1]
    if cut != text:
        checked.warn(
            name,
            "too_long",
            _("%(field)s was longer than %(n)s characters and was cut.")
            % {"field": FIELD_LABELS.get(name, name), "n": limit},
        )
        text = cut.strip()
    return text


def _date(checked: Checked, name: str, raw: str, label: str, *, required=False, past=False):
    try:
        value = parse_date(raw)
    except ValueError:
        (checked.error if required else checked.warn)(
            name,
            "bad_date",
            _("%(label)s “%(value)s” is not a valid date (dd.mm.yyyy).")
            % {"label": label, "value": raw.strip()[:40]},
        )
        return None
    if value is None:
        if required:
            checked.error(name, "missing", _("%(label)s is missing.") % {"label": label})
        return None
    if past and (value > timezone.localdate() or value.year < 1900):
        checked.error(
            name,
            "impossible_date",
            _("%(label)s %(value)s is impossible.")
            % {"label": label, "value": value.strftime("%d.%m.%Y")},
        )
        return None
    return value


_TODAY: list = [0.0, None]


def _today() -> date:
    """Today's local date, looked up at most once a second (once per row was a
    measurable share of normalising a large extract)."""
    now = int(time.time())  # the wall clock: tests that travel in time move it too
    if now != _TODAY[0] or _TODAY[1] is None:
        _TODAY[:] = [now, timezone.localdate()]
    return _TODAY[1]


def _birth_date(c: Checked, raw: str) -> date | None:
    """The birth date is part of the identity: a wrong one rejects the row."""
    try:
        born = parse_date(raw)
    except ValueError:
        c.error(
            "birth_date",
            "bad_date",
            _("Birth date “%(value)s” is not a valid date (dd.mm.yyyy).")
            % {"value": (raw or "").strip()[:40]},
        )
        return None
    if born and (born > _today() or born.year < 1900):
        c.error(
            "birth_date",
            "impossible_date",
            _("Birth date %(value)s is impossible.") % {"value": born.strftime("%d.%m.%Y")},
        )
        return None
    return born


def _valid(validate, value: str):
    """``validate(value)``'s result (True when it returns None), or None when it raises
    ValidationError. A ValidationError refers to itself (``error_list``), so it lives
    until the cyclic collector runs, and through its traceback every frame up the stack
    with their locals (a whole chunk of rows): the traceback is dropped here, so that
    the import can leave the collector off (``importer.collector_paused``). So are the
    tracebacks of the exceptions it was raised from (stdnum's, for a national id)."""
    try:
        result = validate(value)
    except ValidationError as exc:
        seen: set[int] = set()
        error: BaseException | None = exc
        while error is not None and id(error) not in seen:
            seen.add(id(error))
            error.__traceback__ = None
            error = error.__cause__ or error.__context__
        return None
    return True if result is None else result


def _email(checked: Checked, name: str, raw: str, label: str) -> str:
    value = (raw or "").strip().lower()
    if not value:
        return ""
    if len(value) > EMAIL_MAX or not _valid(validate_email, value):
        checked.warn(
            name,
            "invalid_email",
            _("%(label)s “%(value)s” is not a valid e-mail address.")
            % {"label": label, "value": value[:80]},
        )
        return ""
    return value


def _mobile(checked: Checked, name: str, raw: str, label: str) -> str:
    try:
        return parse_mobile(raw) or ""
    except ValueError:
        checked.warn(
            name,
            "invalid_phone",
            _("%(label)s “%(value)s” is not a valid phone number.")
            % {"label": label, "value": (raw or "").strip()[:40]},
        )
        return ""


def _national_id(checked: Checked, raw: str, born: date | None) -> str:
    digits = re.sub(r"\D", "", raw or "")
    if not digits:
        return ""
    if len(digits) == 10:  # a spreadsheet that stored the number as a number
        digits = "0" + digits
    number = _valid(identity.clean_national_id, digits)
    if number is None:
        checked.warn(
            "national_id",
            "invalid_national_id",
            _("The national id number is not valid and was not imported."),
        )
        return ""
    if born and identity.birth_date_from_national_id(number) != born:
        checked.warn(
            "national_id",
            "national_id_mismatch",
            _("The national id number does not fit the birth date and was not imported."),
        )
        return ""
    return number


def normalise_member(raw: dict) -> Checked:
    c = Checked(values={})
    v = c.values
    v["member_no"] = (raw.get("member_no") or "").strip()[:40]
    v["first_name"] = clean_text(c, "first_name", raw.get("first_name", ""), NAME_MAX)
    v["last_name"] = clean_text(c, "last_name", raw.get("last_name", ""), NAME_MAX)
    if not v["first_name"]:
        c.error("first_name", "missing", _("First name is missing."))
    if not v["last_name"]:
        c.error("last_name", "missing", _("Last name is missing."))
    born = _birth_date(c, raw.get("birth_date", ""))
    v["national_id"] = _national_id(c, raw.get("national_id", ""), born)
    if born is None and not any(p.field == "birth_date" for p in c.problems):
        if v["national_id"]:
            born = identity.birth_date_from_national_id(v["national_id"])
        else:
            c.error("birth_date", "missing", _("Birth date is missing."))
    v["birth_date"] = born
    gender_raw = (raw.get("gender") or "").strip()
    v["gender"] = GENDERS.get(gender_raw.casefold(), "")
    if gender_raw and not v["gender"]:
        c.warn(
            "gender",
            "unknown_gender",
            _("Gender “%(value)s” is not known; left empty.") % {"value": gender_raw[:20]},
        )
    v["email"] = _email(c, "email", raw.get("email", ""), EMAIL)
    v["mobile"] = _mobile(c, "mobile", raw.get("mobile", ""), MOBILE)
    v["address"] = clean_text(c, "address", raw.get("address", ""))
    v["postal_code"] = _postal_code(c, raw.get("postal_code", ""))
    v["city"] = clean_text(c, "city", raw.get("city", ""), CITY_MAX)
    v["guardian_name"] = clean_text(c, "guardian_name", raw.get("guardian_name", ""), NAME_MAX)
    v["guardian_email"] = _email(c, "guardian_email", raw.get("guardian_email", ""), GUARDIAN_EMAIL)
    v["guardian_mobile"] = _mobile(
        c, "guardian_mobile", raw.get("guardian_mobile", ""), GUARDIAN_MOBILE
    )
    v["category"] = clean_text(c, "category", raw.get("category", ""))[:100]
    v["groups"] = [
        g
        for g in (clean_text(c, "groups", x)[:150] for x in (raw.get("groups") or "").split(","))
        if g
    ]
    method_raw = (raw.get("payment_method") or "").strip()
    v["payment_method"] = PAYMENT_METHODS.get(method_raw.casefold().replace(" ", ""), "")
    if method_raw and not v["payment_method"]:
        c.warn(
            "payment_method",
            "unknown_payment_method",
            _("Payment method “%(value)s” is not known; invoice is used.")
            % {"value": method_raw[:30]},
        )
    v["next_billing_date"] = _date(
        c, "next_billing_date", raw.get("next_billing_date", ""), NEXT_BILLING_DATE
    )
    v["joined"] = _date(c, "joined", raw.get("joined", ""), JOINED)
    v["person_id"] = (raw.get("person_id") or "").strip()
    if raw.get("_extra"):
        c.warn(
            "_extra",
            "extra_values",
            _("The row has more values than there are columns; the extra values were ignored."),
        )
    return c


def _postal_code(c: Checked, raw: str) -> str:
    value = (raw or "").strip()
    if value.isdigit() and len(value) < 4:
        value = value.zfill(4)  # a spreadsheet dropped the leading zeros
    if value and not re.fullmatch(r"\d{4}", value):
        c.warn(
            "postal_code",
            "invalid_postal_code",
            _("Postal code “%(value)s” is not four digits.") % {"value": value[:12]},
        )
    return value[:12]


def whole_number(text: str) -> int | None:
    """``"24"`` → 24; None for anything else (``"²"`` is a digit but not a number; more
    than nine digits is not a capacity or a place)."""
    return int(text) if text.isdecimal() and len(text) <= 9 else None


def normalise_group(raw: dict) -> Checked:
    c = Checked(values={})
    v = c.values
    v["name"] = clean_text(c, "name", raw.get("name", ""))[:150]
    if not v["name"]:
        c.error("name", "missing", _("The group has no name."))
    v["sport"] = clean_text(c, "sport", raw.get("sport", ""))[:100]
    v["season"] = clean_text(c, "season", raw.get("season", ""))[:50]
    capacity = (raw.get("capacity") or "").strip()
    v["capacity"] = whole_number(capacity)
    if capacity and v["capacity"] is None:
        c.warn(
            "capacity",
            "bad_number",
            _("Capacity “%(value)s” is not a whole number.") % {"value": capacity[:20]},
        )
    try:
        v["class_fee"] = parse_amount(raw.get("class_fee", ""))
    except ValueError:
        v["class_fee"] = None
        c.error(
            "class_fee",
            "bad_amount",
            _("Class fee “%(value)s” is not an amount.")
            % {"value": (raw.get("class_fee") or "")[:30]},
        )
    v["admin_email"] = _email(c, "admin_email", raw.get("admin_email", ""), COACH_EMAIL)
    return c


def normalise_waitlist(raw: dict) -> Checked:
    c = Checked(values={})
    v = c.values
    v["group"] = clean_text(c, "group", raw.get("group", ""))[:150]
    if not v["group"]:
        c.error("group", "missing", _("The waitlist place has no group."))
    position = (raw.get("position") or "").strip()
    number = whole_number(position)
    v["position"] = number if number else None  # places start at 1
    if v["position"] is None:
        c.error(
            "position",
            "bad_number",
            _("Place “%(value)s” is not a positive whole number.") % {"value": position[:20]},
        )
    v["member_no"] = (raw.get("member_no") or "").strip()[:40]
    v["first_name"] = clean_text(c, "first_name", raw.get("first_name", ""), NAME_MAX)
    v["last_name"] = clean_text(c, "last_name", raw.get("last_name", ""), NAME_MAX)
    if not (v["first_name"] and v["last_name"]):
        c.error("first_name", "missing", _("Name is missing."))
    v["birth_date"] = _date(c, "birth_date", raw.get("birth_date", ""), BIRTH_DATE, past=True)
    v["email"] = _email(c, "email", raw.get("email", ""), EMAIL)
    v["mobile"] = _mobile(c, "mobile", raw.get("mobile", ""), MOBILE)
    v["guardian_email"] = _email(c, "guardian_email", raw.get("guardian_email", ""), GUARDIAN_EMAIL)
    v["registered"] = _date(c, "registered", raw.get("registered", ""), REGISTERED)
    return c
