"""SMS length and parts (DOMAIN.md §7, R-COM-1).

GSM-7 (the GSM 03.38 basic set, which holds æ ø å Æ Ø Å) fits 160 characters in one
SMS and 153 in each part of a long one; the extension characters ``€ [ ] { } \\ ^ ~ |``
(and form feed) take two. Any other character switches the whole text to UCS-2: 70 in one
SMS, 67 per part, and characters outside the Basic Multilingual Plane (emoji) take two.
A two-unit character is never split between parts.

``static/comms/sms_counter.js`` implements the same rules for the composer's live counter;
``tests/comms/test_segments.py`` checks that the two agree.
"""

from typing import NamedTuple

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"

GSM7 = "GSM-7"
UCS2 = "UCS-2"
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}
MAX_CHARS = 800  # R-COM-1

_BASIC = frozenset(GSM7_BASIC)
_EXTENSION = frozenset(GSM7_EXTENSION)


class Segments(NamedTuple):
    encoding: str  # "GSM-7" or "UCS-2"
    parts: int  # SMS parts the text is sent as (0 for an empty text)
    chars: int  # length in the encoding's units: what fills the parts


def is_gsm7(text: str) -> bool:
    return all(c in _BASIC or c in _EXTENSION for c in text)


def _units(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if c in _EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def count(text: str) -> Segments:
    """``(encoding, parts, chars)`` of ``text``; 800 GSM-7 characters are 6 parts."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    units = _units(text, encoding)
    chars = sum(units)
    single, per_part = LIMITS[encoding]
    if chars == 0:
        return Segments(encoding, 0, 0)
    if chars <= single:
        return Segments(encoding, 1, chars)
    parts, room = 1, per_part
    for width in units:
        if width > room:  # a two-unit character is never split between parts
            parts, room = parts + 1, per_part
        room -= width
    return Segments(encoding, parts, chars)
