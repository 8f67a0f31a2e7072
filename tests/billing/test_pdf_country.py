"""The country line of a foreign address on the invoice, and what finding its name costs."""

import os
import subprocess
import sys
from pathlib import Path

from billing.pdf.documents import address_lines, country_name

ROOT = Path(__file__).resolve().parents[2]


def test_country_names_in_capitals_common_names_first():
    assert country_name("se") == "SWEDEN"
    assert country_name("GB") == "UNITED KINGDOM"
    assert country_name("KR") == "SOUTH KOREA"  # not "KOREA, REPUBLIC OF"
    assert country_name("XX") == "XX"  # unknown: the code as it is


def test_norwegian_addresses_have_no_country_line_foreign_ones_do():
    assert address_lines("Kari Nordmann", "", "Storgata 1", "0150", "Oslo", "NO") == [
        "Kari Nordmann",
        "Storgata 1",
        "0150 Oslo",
    ]
    assert address_lines("Sven Svensson", "Anna", "Storgatan 2", "111 22", "Stockholm", "SE") == [
        "Sven Svensson",
        "c/o Anna",
        "Storgatan 2",
        "111 22 Stockholm",
        "SWEDEN",
    ]


def test_starting_the_application_does_not_load_phone_number_geodata():
    """phonenumbers' geocoder data is ~100 MB in memory; every web, worker and import
    process paid for it when the invoice PDF module asked it for country names."""
    code = (
        "import sys, django; django.setup(); import billing.pdf.documents; "
        "print('phonenumbers.geodata' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ims.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
