"""Fixtures for billing (SPEC §6): a club with a membership fee and members made
through members' services."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from django_scopes import scopes_disabled

from billing import services
from billing.models import Fee, PriceRule
from members.models import Club, Household, Membership, MembershipCategory
from members.services import add_membership, create_club, create_person

RUN_DATE = date(2026, 1, 15)


def make_club(slug: str = "faktura-il") -> Club:
    with scopes_disabled():
        club = create_club(slug, "Faktura IL", org_number="")
        club.bank_account = "12345678903"
        club.address_line = "Idrettsveien 1"
        club.postal_code = "0150"
        club.city = "Oslo"
        club.due_days = 14
        club.kid_length = 9
        club.save()
    return club


def make_fee(club: Club, *, price="1000.00", period="year", name="Kontingent", rules=()) -> Fee:
    with scopes_disabled():
        category, _ = MembershipCategory.objects.get_or_create(club=club, name=f"Kat {name}")
        fee = Fee.objects.create(
            club=club,
            name=name,
            kind=Fee.Kind.MEMBERSHIP,
            category=category,
            price=Decimal(price),
            period=period,
        )
        for i, rule in enumerate(rules):
            PriceRule.objects.create(club=club, fee=fee, sort_order=i, **rule)
    return fee


def make_member(
    club: Club,
    first: str,
    *,
    last: str = "Hansen",
    birth: date | None = date(1980, 5, 5),
    household: Household | None = None,
    guardian=None,
    fee: Fee | None = None,
    next_billing_date: date | None = RUN_DATE,
    address: str = "Gata 1",
) -> Membership:
    """An active member; with ``fee``, also their agreement due ``next_billing_date``."""
    with scopes_disabled():
        person = create_person(
            first_name=first,
            last_name=last,
            birth_date=birth,
            address_line=address,
            postal_code="0150",
            city="Oslo",
            email=f"{first.lower()}@example.no",
        )
        if guardian is not None:
            person.guardians.add(guardian)
        # made active without a category, so that the automatic agreement (R-BIL-2,
        # billing.automatic) does not run: the test's own, due ``next_billing_date``,
        # is made below
        membership = add_membership(club, person, source="admin")
        membership.category = fee.category if fee else None
        membership.household = household
        membership.save()
        if fee is not None:
            services.create_agreement(
                membership, fee, source="admin", next_billing_date=next_billing_date
            )
    return membership


@pytest.fixture
def club(db):
    return make_club()


@pytest.fixture(autouse=True)
def _english(settings):
    """Invoice texts are written in the site's language; the tests read English."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def make_turn_group_fees(club: Club):
    """Group "Turn 1" (sport Turn) with a half-yearly class fee, and a yearly training fee
    for the sport Turn: ``(group, class_fee, training_fee)``."""
    from members.models import Group

    with scopes_disabled():
        group = Group.objects.create(club=club, name="Turn 1", sport="Turn")
        class_fee = Fee.objects.create(
            club=club,
            name="Partiavgift Turn 1",
            kind="class",
            group=group,
            price=Decimal("800"),
            period="half_year",
        )
        training = Fee.objects.create(
            club=club,
            name="Treningsavgift turn",
            kind="training",
            sport="Turn",
            price=Decimal("300"),
            period="year",
        )
    return group, class_fee, training
