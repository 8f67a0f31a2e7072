"""KID (R-BIL-5, DOMAIN.md §2): MOD10 check digit via stdnum.luhn, the club's fixed
length, unique per club."""

from datetime import date

import pytest
from django_scopes import scopes_disabled
from stdnum import luhn

from billing import services
from billing.kid import KidError, is_valid_kid, make_kid
from billing.models import Invoice

from .conftest import make_fee, make_member


@pytest.mark.parametrize("number", [1, 42, 1234, 99999999])
def test_kid_has_the_length_and_a_valid_check_digit(number):
    kid = make_kid(number, 9)
    assert len(kid) == 9 and kid.isdigit()
    assert luhn.is_valid(kid) and is_valid_kid(kid, 9)
    assert kid[:-1] == str(number).zfill(8)
    assert kid[-1] == luhn.calc_check_digit(kid[:-1])


def test_kid_with_a_changed_digit_is_refused():
    kid = make_kid(1234, 9)
    wrong = kid[:-1] + str((int(kid[-1]) + 1) % 10)
    assert not is_valid_kid(wrong)
    assert not is_valid_kid(kid, 10)
    assert not is_valid_kid("12a4")


def test_number_too_long_for_the_kid_length_is_refused():
    with pytest.raises(KidError):
        make_kid(100000000, 9)
    with pytest.raises(KidError):
        make_kid(1, 26)


def test_run_gives_unique_valid_kids_of_the_club_length(club):
    with scopes_disabled():
        club.kid_length = 12
        club.save()
    fee = make_fee(club)
    for i in range(12):
        make_member(club, f"K{i}", fee=fee)
    services.run_invoices(club, date(2026, 1, 15))
    with scopes_disabled():
        kids = list(Invoice.objects.filter(club=club).values_list("kid", flat=True))
    assert len(kids) == len(set(kids)) == 12
    assert all(len(k) == 12 and luhn.is_valid(k) for k in kids)
