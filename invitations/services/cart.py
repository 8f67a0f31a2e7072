"""What the club offers a person who registers, at which price, and what the cart's
button does (R-REG-7).

* Offers: the club's membership categories open for new members, and its groups open
  for registration (``Group.open_for_registration``) with a place left. Waitlists are
  not part of registration: a full group is shown as full.
* Prices: the fees billing will charge — a category's membership fee, a group's class
  and training fees (``billing.services.membership_fee``, ``group_fees``) — priced by
  the billing price rules for this person (``billing.pricing.evaluate``): their age on
  the first billing date (the reference date of the period billed first), and their
  place in the household they will join (family discount).
* The branch, by the club's settings: approval required → "Send for approval";
  a default billing day 1–28 → "Activate membership", first invoiced on that day's next
  occurrence (``billing.services.next_billing_day``); billing day 0 and no approval →
  "Pay now" by card, billed at once.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext as _
from django_scopes import scope

from billing import pricing
from billing import services as billing
from billing.models import Fee
from invitations.models import JoinOutcome
from invitations.services.registration import age_on
from members.models import Club, Group, GroupMember, Household, MembershipCategory

Outcome = JoinOutcome


@dataclass(frozen=True)
class Applicant:
    """Whom the cart is for: a Person in the register (``person_id``) or a child not in
    it yet (None); ``household_id`` is the household they will join, if any."""

    first_name: str
    last_name: str
    birth_date: date | None
    person_id: int | None = None
    household_id: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: date) -> int | None:
        return None if self.birth_date is None else age_on(self.birth_date, day)


@dataclass(frozen=True)
class PricedFee:
    fee: Fee
    price: pricing.Price

    @property
    def amount(self) -> Decimal:
        return self.price.amount


@dataclass(frozen=True)
class Offer:
    """A category or a group, priced for the applicant. ``full``: a group without a
    place left."""

    kind: str  # "category" or "group"
    pk: int
    name: str
    description: str
    fees: tuple[PricedFee, ...]
    full: bool = False
    places_left: int | None = None

    @property
    def total(self) -> Decimal:
        return sum((f.amount for f in self.fees), Decimal("0.00"))


def outcome_for(club: Club) -> str:
    """Which of the three branches the club's settings give (R-REG-7)."""
    if club.approval_required:
        return Outcome.APPROVAL
    if club.default_billing_day:
        return Outcome.BILLING_DAY
    return Outcome.PAY_NOW


def reference_date(club: Club, today: date) -> date:
    """The day a new member's first period starts: the club's next billing day (today
    with billing day 0). Prices are those of that period."""
    return billing.first_billing_date(club, today)


def price_fee(fee: Fee, applicant: Applicant, start: date) -> PricedFee:
    position = None
    if applicant.household_id is not None:
        position = pricing.position_if_joined(
            fee, start, applicant.household_id, applicant.person_id, applicant.birth_date
        )
    price = pricing.evaluate(
        fee, birth_date=applicant.birth_date, period_start=start, household_position=position
    )
    return PricedFee(fee, price)


def category_offer(club: Club, category: MembershipCategory, applicant, start) -> Offer:
    fee = billing.membership_fee(club, category.pk)
    fees = (price_fee(fee, applicant, start),) if fee else ()
    return Offer("category", category.pk, category.name, category.description, fees)


def group_offer(club: Club, group: Group, applicant, start, taken: int) -> Offer:
    fees = tuple(price_fee(fee, applicant, start) for fee in billing.group_fees(group))
    left = None if group.capacity is None else max(group.capacity - taken, 0)
    details = " · ".join(p for p in (group.sport, group.schedule, group.season) if p)
    return Offer("group", group.pk, group.name, details, fees, full=left == 0, places_left=left)


def offers(club: Club, applicant: Applicant, today: date) -> tuple[list[Offer], list[Offer]]:
    """(categories, groups) the applicant can choose, priced for them."""
    start = reference_date(club, today)
    with scope(club=club):
        categories = [
            category_offer(club, c, applicant, start)
            for c in MembershipCategory.objects.filter(club=club, is_active=True)
        ]
        groups = list(Group.objects.filter(club=club, open_for_registration=True))
        taken = group_counts(club, [g.pk for g in groups])
        group_offers = [group_offer(club, g, applicant, start, taken.get(g.pk, 0)) for g in groups]
    return categories, group_offers


def group_counts(club: Club, group_ids: list[int]) -> dict[int, int]:
    rows = (
        GroupMember.objects.filter(club=club, group_id__in=group_ids)
        .values("group_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["group_id"]: row["n"] for row in rows}


@dataclass(frozen=True)
class CartView:
    """The cart as shown: the chosen category and groups, priced; what is missing or
    no longer available is named in ``problems``."""

    category: Offer | None
    groups: tuple[Offer, ...]
    problems: tuple[str, ...]

    @property
    def lines(self) -> tuple[Offer, ...]:
        return ((self.category,) if self.category else ()) + self.groups

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))


def household_of(club: Club, person_id: int | None) -> Household | None:
    """The household in ``club`` a registering person's family belongs to: the one of
    their own membership, one whose invoices they pay, or one of their children's
    memberships (for a guardian). None for a person not in the register."""
    if person_id is None:
        return None
    with scope(club=club):
        found = (
            Household.objects.filter(club=club, memberships__person_id=person_id).first()
            or Household.objects.filter(club=club, payer_id=person_id).order_by("pk").first()
            or Household.objects.filter(club=club, memberships__person__guardians=person_id)
            .order_by("pk")
            .first()
        )
    return found


def cart_view(
    club: Club, applicant: Applicant, category_id: int | None, group_ids: list[int], today: date
) -> CartView:
    """The cart priced for ``applicant``; a category closed or a group closed or full
    since it was put in is left out and named."""
    categories, groups = offers(club, applicant, today)
    by_category = {o.pk: o for o in categories}
    by_group = {o.pk: o for o in groups}
    problems = []
    category = by_category.get(category_id) if category_id else None
    if category_id and category is None:
        problems.append(_("The membership you chose is no longer open for new members."))
    chosen = []
    for group_id in group_ids:
        offer = by_group.get(group_id)
        if offer is None:
            problems.append(_("A group you chose is no longer open for registration."))
        elif offer.full:
            problems.append(_("%(group)s is full.") % {"group": offer.name})
        else:
            chosen.append(offer)
    return CartView(category, tuple(chosen), tuple(problems))
