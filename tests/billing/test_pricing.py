"""Price rules (R-BIL-3): age bands on a reference date with exact birthday boundaries,
family discount for the second and later members of a household, and the rule named on
the invoice line."""

from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from billing import pricing, services
from billing.models import Agreement, Fee, InvoiceLine, PriceRule
from members.models import Household

from .conftest import make_fee, make_member

CHILD_BAND = {"kind": "age_band", "min_age": 0, "max_age": 12, "amount": Decimal("500.00")}
FAMILY = {"kind": "family", "min_position": 2, "percent": Decimal("50")}


def rule(**fields) -> PriceRule:
    return PriceRule(fee_id=0, **fields)


FEE = Fee(name="Kontingent", price=Decimal("1000.00"), period="year")


@pytest.mark.parametrize(
    ("period_start", "price", "text"),
    [
        (date(2026, 3, 9), Decimal("500.00"), "age 0–12: 500,00 kr"),  # 12 the day before
        (date(2026, 3, 10), Decimal("1000.00"), ""),  # 13 on the birthday itself
    ],
)
def test_age_band_on_the_day_before_and_the_day_of_a_birthday(period_start, price, text):
    born = date(2013, 3, 10)
    result = pricing.evaluate(
        FEE, birth_date=born, period_start=period_start, rules=[rule(**CHILD_BAND)]
    )
    assert (result.amount, result.rule_text) == (price, text)


@pytest.mark.parametrize(
    ("born", "price"),
    [
        (date(2010, 6, 1), Decimal("1000.00")),  # 16 tomorrow: still 15 on the start date
        (date(2010, 5, 31), Decimal("700.00")),  # 16 on the start date: in the band
    ],
)
def test_lower_bound_is_inclusive_from_the_birthday(born, price):
    youth = rule(kind="age_band", min_age=16, max_age=19, amount=Decimal("700.00"))
    result = pricing.evaluate(FEE, birth_date=born, period_start=date(2026, 5, 31), rules=[youth])
    assert result.amount == price


@pytest.mark.parametrize(
    ("period_start", "price"),
    [(date(2026, 3, 9), Decimal("250.00")), (date(2026, 3, 10), Decimal("500.00"))],
)
def test_family_discount_on_top_of_the_band_across_a_birthday(period_start, price):
    """Second in the household: 50 % of the child price the day before the 13th birthday,
    50 % of the full price on the birthday."""
    result = pricing.evaluate(
        FEE,
        birth_date=date(2013, 3, 10),
        period_start=period_start,
        household_position=2,
        rules=[rule(**CHILD_BAND), rule(**FAMILY)],
    )
    assert result.amount == price
    assert ("family discount" in result.rule_text) and (
        ("age 0–12" in result.rule_text) == (price == Decimal("250.00"))
    )


def test_first_in_the_household_gets_no_family_discount():
    result = pricing.evaluate(
        FEE,
        birth_date=date(1990, 1, 1),
        period_start=date(2026, 1, 1),
        household_position=1,
        rules=[rule(**FAMILY)],
    )
    assert (result.amount, result.rule_text) == (Decimal("1000.00"), "")


def test_age_reached_in_the_year_ignores_the_birthday():
    band = rule(**CHILD_BAND, age_reference="year_end")
    # 13 in 2026 (born December 2013) although still 12 on 1 January
    result = pricing.evaluate(
        FEE, birth_date=date(2013, 12, 31), period_start=date(2026, 1, 1), rules=[band]
    )
    assert result.amount == Decimal("1000.00")


def test_unknown_birth_date_pays_the_fee_price():
    result = pricing.evaluate(
        FEE, birth_date=None, period_start=date(2026, 1, 1), rules=[rule(**CHILD_BAND)]
    )
    assert (result.amount, result.rule_text) == (Decimal("1000.00"), "")


def test_percent_is_rounded_to_ore_half_up():
    fee = Fee(name="x", price=Decimal("0.05"), period="once")
    half = rule(kind="age_band", min_age=0, percent=Decimal("50"))
    assert pricing.evaluate(
        fee, birth_date=date(2000, 1, 1), period_start=date(2026, 1, 1), rules=[half]
    ).amount == Decimal("0.03")


def _household(club, name):
    with scopes_disabled():
        return Household.objects.create(club=club, name=name)


def test_family_discount_from_the_second_member_oldest_pays_full(club):
    """Household order: birth date, oldest first; the age band applies first, then the
    family rule, and each line names what applied."""
    fee = make_fee(club, rules=[CHILD_BAND, FAMILY])
    home = _household(club, "Lie")
    parent = make_member(club, "Mor", last="Lie", household=home, fee=None).person
    for first, born in (("Yngst", date(2018, 1, 1)), ("Eldst", date(2010, 1, 1))):
        make_member(club, first, last="Lie", birth=born, household=home, guardian=parent, fee=fee)
    make_member(
        club, "Midt", last="Lie", birth=date(2014, 1, 1), household=home, fee=fee, guardian=parent
    )
    make_member(club, "Alene", last="Dahl", birth=date(2018, 1, 1), fee=fee)
    services.run_invoices(club, date(2026, 1, 15))
    with scopes_disabled():
        lines = {
            line.person.first_name: (line.amount, line.rule_text)
            for line in InvoiceLine.objects.filter(club=club)
        }
    family_text = "family discount from household member no. 2: −50 %"
    assert lines == {
        "Eldst": (Decimal("1000.00"), ""),  # 16: no band, first in the household
        "Midt": (Decimal("250.00"), f"age 0–12: 500,00 kr; {family_text}"),
        "Yngst": (Decimal("250.00"), f"age 0–12: 500,00 kr; {family_text}"),
        "Alene": (Decimal("500.00"), "age 0–12: 500,00 kr"),
    }


def test_family_order_on_the_boundary_of_a_shared_birth_date(club):
    """Twins: same birth date, the lower person id counts first; an agreement that ended
    before the period does not count."""
    fee = make_fee(club, rules=[FAMILY])
    home = _household(club, "Tvilling")
    make_member(club, "A", household=home, birth=date(2012, 4, 4), fee=fee)
    make_member(club, "B", household=home, birth=date(2012, 4, 4), fee=fee)
    gone = make_member(club, "Eldre", household=home, birth=date(2000, 1, 1), fee=fee)
    with scopes_disabled():
        services.cancel_agreement(
            Agreement.objects.get(person=gone.person), ends_on=date(2026, 1, 14)
        )
    services.run_invoices(club, date(2026, 1, 15))
    with scopes_disabled():
        amounts = {
            line.person.first_name: line.amount for line in InvoiceLine.objects.filter(club=club)
        }
    assert amounts == {"A": Decimal("1000.00"), "B": Decimal("500.00")}


def test_a_sibling_who_left_the_club_does_not_count(club):
    from members.services import change_status

    fee = make_fee(club, rules=[FAMILY])
    home = _household(club, "Flytt")
    left = make_member(club, "Eldst", household=home, birth=date(2005, 1, 1), fee=fee)
    with scopes_disabled():
        change_status(left, "cancelled", on=date(2025, 12, 31))
    make_member(club, "Nå", household=home, birth=date(2012, 1, 1), fee=fee)
    services.run_invoices(club, date(2026, 1, 15))
    with scopes_disabled():
        (line,) = InvoiceLine.objects.filter(club=club)
    assert (line.person.first_name, line.amount) == ("Nå", Decimal("1000.00"))
