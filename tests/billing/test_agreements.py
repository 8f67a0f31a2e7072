"""Agreements (R-BIL-2): made from an active membership (the category's membership fee)
or a group with a fee, once; the invoice goes to the guardian of a child or the
household's payer; a migrated agreement keeps the old system's next billing date."""

from datetime import date
from decimal import Decimal

from django_scopes import scopes_disabled

from billing import services
from billing.models import Agreement, Fee
from members.models import Group, Household, Membership
from members.services import add_to_group

from .conftest import make_fee, make_member, make_turn_group_fees


def test_active_membership_gets_its_category_fee_once(club):
    fee = make_fee(club)
    membership = make_member(club, "Tone")
    with scopes_disabled():
        membership.category = fee.category
        membership.save()
    first = services.create_membership_agreement(membership)
    again = services.create_membership_agreement(membership)
    assert first.pk == again.pk
    assert (first.fee, first.payer, first.source) == (fee, membership.person, "membership")
    with scopes_disabled():
        assert Agreement.objects.filter(person=membership.person).count() == 1


def test_no_agreement_for_an_inactive_membership_or_a_category_without_fee(club):
    fee = make_fee(club)
    membership = make_member(club, "Ulf")
    with scopes_disabled():
        membership.category = fee.category
        membership.status = Membership.Status.PENDING
        membership.save()
    assert services.create_membership_agreement(membership) is None
    with scopes_disabled():
        fee.is_active = False
        fee.save()
        membership.status = Membership.Status.ACTIVE
        membership.save()
    assert services.create_membership_agreement(membership) is None


def test_migrated_membership_keeps_the_old_next_billing_date(club):
    fee = make_fee(club)
    membership = make_member(club, "Vera")
    with scopes_disabled():
        membership.category = fee.category
        membership.source = Membership.Source.MIGRATED
        membership.next_billing_date = date(2026, 8, 1)
        membership.payment_method = "avtalegiro"
        membership.save()
    agreement = services.create_membership_agreement(membership)
    assert agreement.next_billing_date == date(2026, 8, 1)
    assert (agreement.source, agreement.payment_method) == ("migrated", "avtalegiro")


def test_new_agreement_starts_on_the_clubs_billing_day(club):
    assert services.first_billing_date(club, date(2026, 1, 20)) == date(2026, 1, 20)
    club.default_billing_day = 15
    assert services.first_billing_date(club, date(2026, 1, 15)) == date(2026, 1, 15)
    assert services.first_billing_date(club, date(2026, 1, 20)) == date(2026, 2, 15)
    assert services.first_billing_date(club, date(2026, 12, 20)) == date(2027, 1, 15)


def test_child_is_billed_to_the_guardian_and_household_payer_wins(club):
    guardian = make_member(club, "Verge").person
    child = make_member(club, "Barn", birth=date(2015, 1, 1), guardian=guardian)
    assert services.payer_for(child, date(2026, 1, 1)) == guardian
    grown = make_member(club, "Voksen", birth=date(2000, 1, 1), guardian=guardian)
    assert services.payer_for(grown, date(2026, 1, 1)) == grown.person
    with scopes_disabled():
        home = Household.objects.create(club=club, name="Hjem", payer=grown.person)
        child.household = home
        child.save()
    assert services.payer_for(child, date(2026, 1, 1)) == grown.person


def test_payer_ids_for_many_agrees_with_payer_for(club):
    """The set-based payer lookup of an import gives what payer_for gives one by one."""
    first = make_member(club, "Verge1").person
    second = make_member(club, "Verge2").person
    child = make_member(club, "Barn", birth=date(2015, 1, 1), guardian=second)
    with scopes_disabled():
        child.person.guardians.add(first)
    alone = make_member(club, "Alene", birth=None)
    grown = make_member(club, "Voksen", birth=date(2000, 1, 1), guardian=first)
    sibling = make_member(club, "Søsken", birth=date(2016, 1, 1))
    with scopes_disabled():
        home = Household.objects.create(club=club, name="Hjem", payer=grown.person)
        sibling.household = home
        sibling.save()
        members = [child, alone, grown, sibling]
        day = date(2026, 1, 1)
        one_by_one = {services.payer_for(m, day).pk for m in members}
        assert services.payer_ids_for(club, [m.person_id for m in members], day) == one_by_one
        assert one_by_one == {min(first.pk, second.pk), alone.person_id, grown.person_id}


def test_joining_a_group_creates_its_class_and_sport_training_fees(club):
    group, class_fee, training = make_turn_group_fees(club)
    with scopes_disabled():
        other = Group.objects.create(club=club, name="Fotball", sport="Fotball")
        Fee.objects.create(
            club=club,
            name="Partiavgift fotball",
            kind="class",
            group=other,
            price=Decimal("900"),
            period="year",
        )
        membership = make_member(club, "Gymnast")
        link = add_to_group(group, membership)
        agreements = services.create_group_agreements(link)
        assert {a.fee for a in agreements} == {class_fee, training}
        assert {a.source for a in agreements} == {"group"}
        assert services.create_group_agreements(link) == agreements


def test_cancel_by_admin_keeps_the_first_cancellation(club, admin_user):
    fee = make_fee(club)
    membership = make_member(club, "Wenche", fee=fee)
    with scopes_disabled():
        agreement = Agreement.objects.get(person=membership.person)
    services.cancel_agreement(agreement, by=admin_user, ends_on=date(2026, 3, 1))
    services.cancel_agreement(agreement, ends_on=date(2026, 9, 1))
    agreement.refresh_from_db()
    assert (agreement.ends_on, agreement.cancelled_by) == (date(2026, 3, 1), admin_user)
    # a new agreement for the same fee may be made after a cancellation
    again = services.create_agreement(membership, fee, source="admin")
    assert again.pk != agreement.pk
