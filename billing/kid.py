"""KID (kundeidentifikasjon) for invoices, MOD10 (DOMAIN.md §2, R-BIL-5).

Layout: the invoice number, zero-padded to the club's ``kid_length`` minus one, then a
Luhn check digit (``stdnum.luhn``). Invoice numbers are gapless and never reused, so a
KID is unique per club for ever, also after a credit note. AvtaleGiro (a later issue)
identifies the payer's mandate with its own KID; it does not use this layout.
"""

from stdnum import luhn


class KidError(ValueError):
    """The number does not fit the club's KID length."""


MIN_LENGTH, MAX_LENGTH = 2, 25


def make_kid(number: int, length: int) -> str:
    """The KID of invoice ``number`` with ``length`` digits, check digit included."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise KidError(f"a KID has {MIN_LENGTH}–{MAX_LENGTH} digits, not {length}")
    if number < 0:
        raise KidError("negative invoice number")
    body = str(number).zfill(length - 1)
    if len(body) != length - 1:
        raise KidError(f"invoice number {number} does not fit a KID of {length} digits")
    return body + luhn.calc_check_digit(body)


def is_valid_kid(kid: str, length: int | None = None) -> bool:
    """Digits only, 2–25 long (exactly ``length`` if given), valid MOD10 check digit."""
    if not kid.isdigit() or not MIN_LENGTH <= len(kid) <= MAX_LENGTH:
        return False
    if length is not None and len(kid) != length:
        return False
    return luhn.is_valid(kid)
