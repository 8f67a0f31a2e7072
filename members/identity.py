"""Identity rules in one place: national id numbers and matching keys (R-SEC-3, R-MIG-3).

National id numbers (fødselsnummer / D-number) are validated with python-stdnum,
encrypted with Fernet (key rotation through MultiFernet) and looked up through a keyed
HMAC. They never appear in URLs, logs or e-mails; pages show them masked.
"""

import hashlib
import hmac
import re
import unicodedata
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.no import fodselsnummer


def clean_national_id(value: str) -> str:
    """Return the 11 digits of a valid fødselsnummer or D-number, or raise ValidationError.

    The one function that decides validity, so the 2032 rule change lands in one place.
    """
    digits = re.sub(r"\D", "", value or "")
    if len(digits) != 11:
        raise ValidationError(_("A national id number has 11 digits."), code="length")
    try:
        return fodselsnummer.validate(digits)
    except StdnumError as exc:
        raise ValidationError(
            _("This is not a valid national id number (check digits or date)."), code="invalid"
        ) from exc


def birth_date_from_national_id(number: str) -> date:
    return fodselsnummer.get_birth_date(number)


def mask_national_id(number: str) -> str:
    """``01019012345`` → ``010190*****``: the birth date stays, the rest is hidden."""
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 6)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt(value: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt a token with the current primary key."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).rotate(token.encode()).decode()


def national_id_hash(number: str) -> str:
    key = settings.IDENTITY_HMAC_KEY.encode()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


_SPACES = re.compile(r"\s+")


# Names repeat (an extract of 100,000 members has a few thousand distinct first and last
# names): both functions are pure and remember their recent answers.
@lru_cache(maxsize=16384)
def name_key(name: str) -> str:
    """Matching key of a name: NFC, case-folded, hyphens as spaces, whitespace collapsed."""
    value = unicodedata.normalize("NFC", name or "")
    value = value.replace("-", " ").replace("\u2010", " ").replace("\u2013", " ")
    return _SPACES.sub(" ", value).strip().casefold()


@lru_cache(maxsize=16384)
def clean_name(name: str) -> str:
    """A name as it is stored and shown: NFC and single spaces, case kept."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name or "")).strip()
