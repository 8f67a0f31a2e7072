"""Price evaluation (R-BIL-3): a fee's price for one person and one period, with the
price rules that apply, evaluated when the invoice is made.

Order: the first matching age band (by ``sort_order``) sets the price (a fixed amount,
or a percent off the fee's price); then the first matching family rule applies to that
price. Every rule that applied is named in the line's ``rule_text``.

Household position (family discount): a person's household is the ``Household`` of
their membership in the club. The members counted are the household's members with a
live agreement on the same fee (not ended, nor their membership, before the period's
start); they are ordered by birth date, oldest first (unknown birth dates last), then by
person id. The first pays the full price; the rule applies from its ``min_position``.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from billing.models import Agreement, Fee, PriceRule

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def money(value: Decimal) -> Decimal:
    """Round to øre, half up (never floats)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Price:
    unit_price: Decimal
    quantity: int
    amount: Decimal
    rule_text: str


def age_for_rule(birth_date: date | None, rule: PriceRule, period_start: date) -> int | None:
    """The person's age as ``rule`` reads it: on the period's first day (a birthday
    counts from the day itself), or the age reached in the period's calendar year."""
    if birth_date is None:
        return None
    if rule.age_reference == PriceRule.AgeReference.YEAR_END:
        return period_start.year - birth_date.year
    before_birthday = (period_start.month, period_start.day) < (birth_date.month, birth_date.day)
    return period_start.year - birth_date.year - before_birthday


def _apply(rule: PriceRule, price: Decimal) -> Decimal:
    if rule.amount is not None:
        return money(rule.amount)
    return money(price * (HUNDRED - rule.percent) / HUNDRED)


def evaluate(
    fee: Fee,
    *,
    birth_date: date | None,
    period_start: date,
    household_position: int | None = None,
    rules: list[PriceRule] | None = None,
    quantity: int = 1,
) -> Price:
    """The price of one period of ``fee`` for a person born ``birth_date``."""
    if rules is None:
        rules = list(fee.rules.all())
    price = money(fee.price)
    applied: list[str] = []
    for rule in sorted(rules, key=lambda r: (r.sort_order, r.pk or 0)):
        if rule.kind != PriceRule.Kind.AGE_BAND:
            continue
        age = age_for_rule(birth_date, rule, period_start)
        if age is None:
            continue
        if (rule.min_age is None or age >= rule.min_age) and (
            rule.max_age is None or age <= rule.max_age
        ):
            price = _apply(rule, price)
            applied.append(rule.describe())
            break
    if household_position is not None:
        for rule in sorted(rules, key=lambda r: (r.sort_order, r.pk or 0)):
            if rule.kind == PriceRule.Kind.FAMILY and household_position >= rule.min_position:
                price = _apply(rule, price)
                applied.append(rule.describe())
                break
    return Price(
        unit_price=price,
        quantity=quantity,
        amount=money(price * quantity),
        rule_text="; ".join(str(a) for a in applied)[:300],
    )


def _counted(fee: Fee, period_start: date):
    """The agreements on ``fee`` that count for household positions in a period."""
    return (
        Agreement.objects.filter(fee=fee, membership__household__isnull=False)
        .filter(Q(cancelled_at__isnull=True) | Q(ends_on__gte=period_start))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=period_start))
        .filter(Q(membership__ended_on__isnull=True) | Q(membership__ended_on__gte=period_start))
    )


def household_positions(fee: Fee, period_start: date) -> dict:
    """``{(household_id, person_id): position}`` of every household on ``fee``."""
    rows = _counted(fee, period_start).values_list(
        "membership__household_id", "person_id", "person__birth_date"
    )
    by_household: dict[int, set] = {}
    for household_id, person_id, birth in rows:
        by_household.setdefault(household_id, set()).add((birth or date.max, person_id))
    positions = {}
    for household_id, members in by_household.items():
        for i, (_birth, person_id) in enumerate(sorted(members), start=1):
            positions[(household_id, person_id)] = i
    return positions


NEW_PERSON = 2**63 - 1  # a person not saved yet sorts after everyone born the same day


def position_if_joined(
    fee: Fee, period_start: date, household_id: int, person_id: int | None, birth_date
) -> int:
    """The position a person would have in household ``household_id`` on ``fee`` once
    their agreement exists (the same order as ``household_positions``): the price a new
    member is shown before they join (R-REG-7)."""
    rows = (
        _counted(fee, period_start)
        .filter(membership__household_id=household_id)
        .values_list("person_id", "person__birth_date")
    )
    me = (birth_date or date.max, person_id or NEW_PERSON)
    members = {(birth or date.max, pid) for pid, birth in rows} | {me}
    return sorted(members).index(me) + 1
