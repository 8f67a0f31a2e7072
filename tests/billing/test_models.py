"""Fee and price rule validation (R-BIL-1, R-BIL-3); money columns are Decimal."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled

from billing.models import Fee, PriceRule

from .conftest import make_fee


def test_membership_fee_needs_a_category_and_class_fee_a_group(club, unscoped):
    with pytest.raises(ValidationError, match="category"):
        Fee(club=club, name="K", kind="membership", price=1, period="year").full_clean()
    with pytest.raises(ValidationError, match="group"):
        Fee(club=club, name="P", kind="class", price=1, period="year").full_clean()
    with pytest.raises(ValidationError, match="group or a sport"):
        Fee(club=club, name="T", kind="training", price=1, period="year").full_clean()
    Fee(club=club, name="T", kind="training", sport="Turn", price=1, period="year").full_clean()


def test_price_rule_is_either_an_amount_or_a_percent(club, unscoped):
    fee = make_fee(club)
    for fields in ({}, {"amount": Decimal("1"), "percent": Decimal("1")}):
        with pytest.raises(ValidationError, match="either a price or a discount"):
            PriceRule(club=club, fee=fee, kind="family", **fields).full_clean()
        with scopes_disabled(), pytest.raises(IntegrityError), transaction.atomic():
            PriceRule.objects.create(club=club, fee=fee, kind="family", **fields)


def test_age_band_needs_a_sensible_range(club, unscoped):
    fee = make_fee(club)
    with pytest.raises(ValidationError, match="lower or an upper"):
        PriceRule(club=club, fee=fee, kind="age_band", amount=1).full_clean()
    with pytest.raises(ValidationError, match="above the upper"):
        PriceRule(club=club, fee=fee, kind="age_band", min_age=9, max_age=3, amount=1).full_clean()


def test_negative_price_refused_by_the_database(club):
    with scopes_disabled(), pytest.raises(IntegrityError), transaction.atomic():
        Fee.objects.create(club=club, name="Minus", kind="product", price=-1, period="once")


def test_rule_descriptions_name_the_rule():
    assert PriceRule(kind="age_band", min_age=13, amount=Decimal("600.00")).describe() == (
        "age 13 and over: 600,00 kr"
    )
    assert PriceRule(kind="age_band", max_age=5, percent=Decimal("100")).describe() == (
        "age up to 5: −100 %"
    )
    assert PriceRule(kind="family", name="Søskenmoderasjon", percent=Decimal("25")).describe() == (
        "Søskenmoderasjon"
    )
