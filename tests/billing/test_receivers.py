"""Automatic agreements (R-BIL-2) on every path a membership or a group place changes:
created active, approved, verified, imported as matched (keeping the old system's next
billing date, R-MIG-7), reactivated; joined and left a group; cancelled. Each is
idempotent: the same signal twice finds the first agreement."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from billing import services
from billing.models import Agreement, Fee
from members import services as member_services
from members import signals
from members.models import Group, GroupMember, Membership, MembershipCategory
from migration import services as migration_services

from .conftest import make_fee, make_turn_group_fees

TODAY = timezone.localdate


def live(person, **filters):
    with scopes_disabled():
        return list(
            Agreement.objects.filter(person=person, cancelled_at__isnull=True, **filters)
            .select_related("fee")
            .order_by("pk")
        )


def new_person(first: str, *, birth=date(1980, 5, 5), **extra):
    with scopes_disabled():
        return member_services.create_person(
            first_name=first,
            last_name="Berg",
            birth_date=birth,
            email=f"{first.lower()}@example.no",
            **extra,
        )


@pytest.fixture
def fee(club):
    return make_fee(club, price="900.00", name="Ordinær")


@pytest.fixture
def group_fees(club):
    """A group with a class fee, and a training fee for its sport."""
    group, class_fee, training = make_turn_group_fees(club)
    with scopes_disabled():
        other = Group.objects.create(club=club, name="Turn 2", sport="Turn")
    return group, other, class_fee, training


def test_a_member_created_active_gets_the_category_fee(club, fee):
    with scopes_disabled():
        membership = member_services.add_membership(
            club, new_person("Anne"), source="admin", category=fee.category
        )
    (agreement,) = live(membership.person)
    assert (agreement.fee, agreement.source, agreement.membership) == (
        fee,
        "membership",
        membership,
    )
    assert agreement.next_billing_date == services.first_billing_date(club)
    assert agreement.payer == membership.person


def test_a_member_created_pending_gets_nothing_until_approved(club, fee):
    with scopes_disabled():
        membership = member_services.add_membership(
            club,
            new_person("Bjarne"),
            source="self",
            category=fee.category,
            status=Membership.Status.SENT_FOR_APPROVAL,
        )
        assert live(membership.person) == []
        member_services.change_status(membership, Membership.Status.ACTIVE, approval_decision=True)
    assert [a.fee for a in live(membership.person)] == [fee]


def test_the_same_signal_twice_finds_the_first_agreement(club, fee):
    with scopes_disabled():
        membership = member_services.add_membership(
            club, new_person("Cecilie"), source="admin", category=fee.category
        )
        for _ in range(2):
            signals.memberships_activated.send(
                sender=Membership, club=club, membership_ids=[membership.pk]
            )
    assert len(live(membership.person)) == 1


def test_a_child_is_billed_to_the_guardian(club, fee):
    parent = new_person("Dagny")
    child = new_person("Eirik", birth=date(2016, 3, 3))
    with scopes_disabled():
        child.guardians.add(parent)
        membership = member_services.add_membership(
            club, child, source="admin", category=fee.category
        )
    (agreement,) = live(membership.person)
    assert agreement.payer == parent


def test_verification_of_a_migrated_member_keeps_the_old_next_billing_date(club, fee):
    with scopes_disabled():
        membership = member_services.add_membership(
            club,
            new_person("Frode"),
            source=Membership.Source.MIGRATED,
            category=fee.category,
            status=Membership.Status.AWAITING_VERIFICATION,
        )
        membership.next_billing_date = date(2026, 9, 1)
        membership.save()
        member_services.change_status(membership, Membership.Status.ACTIVE, reason="Confirmed")
    (agreement,) = live(membership.person)
    assert (agreement.source, agreement.next_billing_date) == ("migrated", date(2026, 9, 1))


def test_cancelling_ends_the_agreements_and_billed_periods_stay(club, fee, group_fees):
    group, _other, class_fee, training = group_fees
    with scopes_disabled():
        membership = member_services.add_membership(
            club, new_person("Gro"), source="admin", category=fee.category
        )
        member_services.add_to_group(group, membership)
        Agreement.objects.filter(person=membership.person).update(next_billing_date=TODAY())
    run = services.run_invoices(club, TODAY())
    assert run.invoices == 1
    with scopes_disabled():
        member_services.cancel_membership(membership, by=None)
        ended = Agreement.objects.filter(person=membership.person).order_by("pk")
        assert {a.fee for a in ended} == {fee, class_fee, training}
        assert all(a.cancelled_at and a.ends_on == TODAY() for a in ended)
    # the periods billed stay billed; nothing more is billed, a year on
    assert services.run_invoices(club, services.add_months(TODAY(), 12)).invoices == 0
    with scopes_disabled():
        assert Agreement.objects.filter(person=membership.person, charges__isnull=False).exists()


def test_reactivation_starts_anew_on_the_clubs_billing_day(club, fee):
    with scopes_disabled():
        membership = member_services.add_membership(
            club,
            new_person("Harald"),
            source=Membership.Source.MIGRATED,
            category=fee.category,
        )
        first = live(membership.person)[0]
        membership.next_billing_date = date(2020, 1, 1)  # long past: not a start date
        membership.save()
        member_services.change_status(membership, Membership.Status.CANCELLED)
        member_services.change_status(membership, Membership.Status.ACTIVE)
    (again,) = live(membership.person)
    assert again.pk != first.pk
    assert again.next_billing_date == services.first_billing_date(club)


def test_joining_a_group_makes_its_fees_and_leaving_ends_them(club, fee, group_fees):
    group, other, class_fee, training = group_fees
    with scopes_disabled():
        membership = member_services.add_membership(
            club, new_person("Ingrid"), source="admin", category=fee.category
        )
        link = member_services.add_to_group(group, membership)
        member_services.add_to_group(group, membership)  # twice: one place, one signal
        assert {a.fee for a in live(membership.person)} == {fee, class_fee, training}
        assert {a.source for a in live(membership.person, fee__kind="class")} == {"group"}
        second = member_services.add_to_group(other, membership)
        # leaving Turn 1: its class fee ends; the sport's training fee stays (Turn 2)
        member_services.remove_from_group(link, on=date(2026, 6, 30))
        assert {a.fee for a in live(membership.person)} == {fee, training}
        ended = Agreement.objects.get(person=membership.person, fee=class_fee)
        assert ended.ends_on == date(2026, 6, 30)
        # leaving the last group of the sport ends the training fee too
        member_services.remove_from_group(second)
        member_services.remove_from_group(second)  # twice: nothing more
        assert {a.fee for a in live(membership.person)} == {fee}
        assert not GroupMember.objects.filter(membership=membership).exists()


def test_a_group_place_of_a_member_not_yet_active_waits_for_activation(club, group_fees):
    group, _other, class_fee, training = group_fees
    with scopes_disabled():
        membership = member_services.add_membership(
            club, new_person("Jon"), source="admin", status=Membership.Status.PENDING
        )
        member_services.add_to_group(group, membership)
        assert live(membership.person) == []
        member_services.change_status(membership, Membership.Status.ACTIVE)
    assert {a.fee for a in live(membership.person)} == {class_fee, training}


MEMBERS = (
    "Medlemsnr;Fornavn;Etternavn;Fødselsdato;Personnummer;Kjønn;E-post;Mobil;Adresse;"
    "Postnr;Poststed;Foresatt navn;Foresatt e-post;Foresatt mobil;Medlemskategori;Parti;"
    "Betalingsmåte;Neste fakturadato;Innmeldt\n"
    "1;Kari;Berg;05.05.1980;;Kvinne;kari@example.no;;Gata 1;0150;Oslo;;;;Kat Ordinær;"
    "Turn 1;AvtaleGiro;01.09.2026;01.01.2020\n"
    "2;Lise;Ny;06.06.1981;;Kvinne;lise@example.no;;Gata 2;0150;Oslo;;;;Kat Ordinær;"
    "Turn 1;Faktura;01.10.2026;01.01.2021\n"
)


def test_an_import_gives_matched_members_agreements_with_the_old_date(club, fee, group_fees):
    """A matched row is active at once: its membership fee and the fees of the groups it
    came with keep the old system's next billing date and payment method. A new row is
    pending: no agreement until it is verified (then with its old date)."""
    _group, _other, class_fee, training = group_fees
    kari = new_person("Kari")
    with scope(club=club):
        batch, _lines = migration_services.import_now(club, [("members.csv", MEMBERS.encode())])
    agreements = live(kari)
    assert {a.fee for a in agreements} == {fee, class_fee, training}
    assert {(a.next_billing_date, a.payment_method) for a in agreements} == {
        (date(2026, 9, 1), "avtalegiro")
    }
    assert {a.source for a in agreements} == {"migrated", "group"}
    with scopes_disabled():
        lise = Membership.objects.get(club=club, person__first_name="Lise")
        assert lise.status == "pending" and live(lise.person) == []
        member_services.change_status(lise, Membership.Status.ACTIVE)
    assert {a.next_billing_date for a in live(lise.person)} == {date(2026, 10, 1)}
    # the same file again changes nothing
    with scope(club=club):
        migration_services.import_now(club, [("members.csv", MEMBERS.encode())])
    assert len(live(kari)) == 3


def test_a_fee_made_after_the_import_reaches_the_members_already_active(club):
    """The usual order after a migration: members first, fees after. Old next billing
    dates still ahead are kept; one already past starts on the club's billing day."""
    with scopes_disabled():
        category = MembershipCategory.objects.create(club=club, name="Ordinær")
        members = {}
        for first, due in (("Kjell", date(2099, 3, 1)), ("Laila", date(2020, 3, 1))):
            m = member_services.add_membership(
                club, new_person(first), source=Membership.Source.MIGRATED, category=category
            )
            m.next_billing_date = due
            m.save()
            members[first] = m
        pending = member_services.add_membership(
            club, new_person("Mona"), source="admin", category=category, status="pending"
        )
        fee = Fee.objects.create(
            club=club,
            name="Kontingent",
            kind="membership",
            category=category,
            price="500",
            period="year",
        )
    (kjell,) = live(members["Kjell"].person)
    assert (kjell.fee, kjell.source, kjell.next_billing_date) == (fee, "migrated", date(2099, 3, 1))
    (laila,) = live(members["Laila"].person)
    assert laila.next_billing_date == services.first_billing_date(club)
    assert live(pending.person) == []
    assert [row.payer for row in services.preview_run(club, date(2099, 3, 1))] == [
        members["Kjell"].person,
        members["Laila"].person,
    ]


def test_a_second_fee_of_a_category_or_a_cancelled_one_is_not_made_again(club, fee):
    with scopes_disabled():
        membership = member_services.add_membership(
            club, new_person("Nils"), source="admin", category=fee.category
        )
        Fee.objects.create(
            club=club,
            name="Kontingent 2",
            kind="membership",
            category=fee.category,
            price="100",
            period="year",
        )
        (agreement,) = live(membership.person)
        services.cancel_agreement(agreement)  # the member cancelled it (Min side)
        fee.price = Decimal("950")
        fee.save()  # an edit does not bring it back
    assert live(membership.person) == []


def test_a_group_fee_made_or_turned_on_reaches_the_groups_members(club, group_fees):
    group, other, class_fee, training = group_fees
    with scopes_disabled():
        in_other = member_services.add_membership(club, new_person("Ole"), source="admin")
        member_services.add_to_group(other, in_other)
        assert {a.fee for a in live(in_other.person)} == {training}  # the sport's fee
        late = Fee.objects.create(
            club=club,
            name="Partiavgift Turn 2",
            kind="class",
            group=other,
            price="600",
            period="year",
            is_active=False,
        )
        assert {a.fee for a in live(in_other.person)} == {training}
        late.is_active = True
        late.save(update_fields=["is_active"])
    assert {a.fee for a in live(in_other.person)} == {training, late}
    assert {a.source for a in live(in_other.person)} == {"group"}
