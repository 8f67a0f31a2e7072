"""Reading the list of addresses an admin pastes into the invitation form (R-REG-1).

Addresses are separated by commas, semicolons, tabs, spaces or new lines. A mobile number
may itself contain spaces ("912 34 567", "+47 912 34 567"): neighbouring groups of digits
are joined when together they make a valid number. "Name <address>" (as copied from an
e-mail program) gives the address. A line with exactly one e-mail address and one mobile
number and no comma or semicolon (say, two columns pasted from a spreadsheet) is one
person, invited by both.

Every piece of the text ends up either in an entry or in ``invalid`` with a reason in
plain words; duplicates are folded and counted.
"""

import re
from dataclasses import dataclass, field
from email.utils import parseaddr

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from members.filters import format_phone

MAX_RECIPIENTS = 500
MAX_WORDS_IN_NUMBER = 5  # "+47 912 34 567" is four

_CHUNKS = re.compile(r"[,;\t]+")
_LIST_MARKS = re.compile(r"[,;]")
_PHONEISH = re.compile(r"[+(]?[\d().\-]+")
_validate_email = EmailValidator()


@dataclass
class Entry:
    """One invitee: an e-mail address, a mobile number (E.164), or both."""

    email: str = ""
    phone: str = ""

    def as_text(self) -> str:
        return " ".join(a for a in (self.email, format_phone(self.phone)) if a)


@dataclass(frozen=True)
class Invalid:
    text: str
    reason: str


@dataclass
class Recipients:
    entries: list[Entry] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)
    duplicates: int = 0

    def as_text(self) -> str:
        """The valid entries, one per line, as the form shows them again."""
        return "\n".join(e.as_text() for e in self.entries)


def parse_recipients(text: str) -> Recipients:
    result = Recipients()
    by_email: dict[str, Entry] = {}
    by_phone: dict[str, Entry] = {}
    for line in (text or "").splitlines():
        emails, phones = [], []
        bad_before = len(result.invalid)
        for token in _tokens(line):
            kind, value = _classify(token)
            if kind == "email":
                emails.append(value)
            elif kind == "phone":
                phones.append(value)
            else:
                result.invalid.append(Invalid(token, value))
        pair = len(emails) == 1 and len(phones) == 1 and not _LIST_MARKS.search(line)
        if pair and len(result.invalid) == bad_before:
            found = [Entry(email=emails[0], phone=phones[0])]
        else:
            found = [Entry(email=e) for e in emails] + [Entry(phone=p) for p in phones]
        for entry in found:
            _add(result, entry, by_email, by_phone)
    return result


def _add(result: Recipients, entry: Entry, by_email: dict, by_phone: dict) -> None:
    """Add ``entry``, or fold it into the entry that has one of its addresses already."""
    key = entry.email.casefold()
    known = by_email.get(key) if entry.email else None
    known = known or (by_phone.get(entry.phone) if entry.phone else None)
    if known is None:
        result.entries.append(entry)
        known = entry
    else:
        new_email = entry.email and not known.email and key not in by_email
        new_phone = entry.phone and not known.phone and entry.phone not in by_phone
        if new_email:
            known.email = entry.email
        if new_phone:
            known.phone = entry.phone
        if not (new_email or new_phone):
            result.duplicates += 1
    if known.email:
        by_email.setdefault(known.email.casefold(), known)
    if known.phone:
        by_phone.setdefault(known.phone, known)


def _tokens(line: str) -> list[str]:
    tokens = []
    for chunk in _CHUNKS.split(line):
        chunk = chunk.strip()
        if not chunk:
            continue
        if "<" in chunk and "@" in chunk:
            _name, address = parseaddr(chunk)
            if address:
                tokens.append(address)
                continue
        tokens.extend(_join_numbers(chunk.split()))
    return tokens


def _join_numbers(words: list[str]) -> list[str]:
    """Join neighbouring digit groups that together make a valid number, longest first."""
    out, i = [], 0
    while i < len(words):
        taken = 1
        if _PHONEISH.fullmatch(words[i]):
            for j in range(min(len(words), i + MAX_WORDS_IN_NUMBER), i + 1, -1):
                run = words[i:j]
                if all(_PHONEISH.fullmatch(w) for w in run) and _parse_phone("".join(run)):
                    taken = j - i
                    break
        out.append(" ".join(words[i : i + taken]))
        i += taken
    return out


def _parse_phone(text: str):
    try:
        number = phonenumbers.parse(text, "NO")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _classify(token: str) -> tuple[str, str]:
    """``("email", address)``, ``("phone", E.164)`` or ``("invalid", reason)``."""
    token = token.strip().strip("\"'<>()[]")
    if "@" in token:
        address = token.rstrip(".")
        try:
            _validate_email(address)
        except ValidationError:
            return "invalid", _("not a valid e-mail address")
        local, _at, domain = address.rpartition("@")
        return "email", f"{local}@{domain.lower()}"
    try:
        return "phone", clean_mobile(token)
    except ValidationError as exc:
        return "invalid", exc.messages[0]


def clean_mobile(text: str) -> str:
    """The E.164 form of a Norwegian mobile number, or ValidationError saying why not."""
    compact = re.sub(r"\s+", "", text or "")
    if not _PHONEISH.fullmatch(compact):
        raise ValidationError(_("neither an e-mail address nor a mobile number"), code="other")
    number = _parse_phone(compact)
    if number is None:
        raise ValidationError(_("not a valid phone number"), code="invalid")
    if phonenumbers.region_code_for_number(number) != "NO":
        raise ValidationError(_("not a Norwegian number"), code="foreign")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(_("not a mobile number (an SMS cannot reach it)"), code="landline")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
