"""SMS encoding and parts (DOMAIN.md §7, R-COM-1), in Python and in the browser's counter."""

import json
import shutil
import subprocess
from pathlib import Path

import gsm0338  # noqa: F401 (registers the "gsm03.38" codec)
import pytest
from hypothesis import given
from hypothesis import strategies as st

from comms.sms import segments
from comms.sms.segments import GSM7, UCS2, count

JS = Path(__file__).resolve().parents[2] / "static" / "comms" / "sms_counter.js"

CASES = [
    ("", (GSM7, 0, 0)),
    ("Hei", (GSM7, 1, 3)),
    ("Blåbærsyltetøy på Ørland, Æsøy og Å", (GSM7, 1, 35)),
    ("a" * 160, (GSM7, 1, 160)),
    ("a" * 161, (GSM7, 2, 161)),
    ("a" * 306, (GSM7, 2, 306)),
    ("a" * 307, (GSM7, 3, 307)),
    ("a" * 800, (GSM7, 6, 800)),
    ("æøå" * 266 + "ab", (GSM7, 6, 800)),
    ("€" * 80, (GSM7, 1, 160)),
    ("€" * 81, (GSM7, 2, 162)),
    ("a" * 152 + "€" + "a" * 10, (GSM7, 2, 164)),  # the € may not straddle two parts
    ("Kontingent 250 kr [betal nå] {takk} ~ | ^ \\", (GSM7, 1, 51)),
    ("Hei 😀", (UCS2, 1, 6)),
    ("😀" * 35, (UCS2, 1, 70)),
    ("😀" * 36, (UCS2, 2, 72)),
    ("a" * 66 + "😀", (UCS2, 1, 68)),
    ("a" * 66 + "😀" + "a" * 3, (UCS2, 2, 71)),
    ("a" * 799 + "😀", (UCS2, 12, 801)),
    ("a" * 737 + "a" * 66 + "😀", (UCS2, 13, 805)),  # the emoji does not fit part 12
    ("ë" * 800, (UCS2, 12, 800)),
    ("“sitat”", (UCS2, 1, 7)),
    ("ä ö ü Ä Ö Ü é É ñ Ñ ß", (GSM7, 1, 21)),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_count(text, expected):
    """R-COM-1, DOMAIN §7: 800 GSM-7 characters are 6 parts; æøå are GSM-7; an emoji or
    a character outside GSM-7 switches to UCS-2 (70/67); extension characters count two."""
    assert tuple(count(text)) == expected


def test_800_gsm7_is_six_parts_and_800_ucs2_is_twelve():
    assert count("x" * 800).parts == 6
    assert count("x" * 799 + "ë").parts == 12


@given(st.text(alphabet=segments.GSM7_BASIC + segments.GSM7_EXTENSION + "ëç😀“", max_size=400))
def test_gsm7_agrees_with_the_gsm0338_codec(text):
    """Our table is GSM 03.38: the codec encodes exactly the texts we call GSM-7, into as
    many septets as we count."""
    try:
        septets = len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        septets = None
    result = count(text)
    if septets is None:
        assert result.encoding == UCS2
    else:
        assert result.encoding == GSM7
        assert result.chars == septets


@given(st.text(max_size=500))
def test_parts_hold_the_text(text):
    result = count(text)
    single, per_part = segments.LIMITS[result.encoding]
    if result.chars <= single:
        assert result.parts == (1 if text else 0)
    else:
        # every part but the last is full, but for one unit left when a pair did not fit
        assert (result.parts - 1) * (per_part - 1) < result.chars <= result.parts * per_part


def test_browser_counter_agrees_with_python():
    """The composer's live counter (static/comms/sms_counter.js) counts as the server does."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    texts = [t for t, _ in CASES] + ["Hei {fornavn}! Velkommen til {klubb} 🎉", "tab\there"]
    script = (
        f"const c = require({json.dumps(str(JS))});"
        "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(texts.map(t => { const r = c.smsCount(t);"
        " return [r.encoding, r.parts, r.chars]; })));"
    )
    out = subprocess.run(  # noqa: S603
        [node, "-e", script], input=json.dumps(texts), capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == [list(count(t)) for t in texts]
    assert "MAX_CHARS = 800" in JS.read_text()
