"""Membership status rules (SPEC §3) and the change history (R-SEC-5)."""

import pytest
from django_scopes import scope

from members import services
from members.models import Membership

pytestmark = pytest.mark.django_db
Status = Membership.Status


@pytest.fixture
def membership(demo):
    person = services.create_person(first_name="Siri", last_name="Test")
    with scope(club=demo["a"]):
        return services.add_membership(
            demo["a"], person, source=Membership.Source.MIGRATED, status=Status.PENDING
        )


def test_allowed_path_pending_to_active_to_cancelled(demo, membership):
    with scope(club=demo["a"]):
        services.change_status(membership, Status.AWAITING_VERIFICATION, by=demo["admin_a"])
        services.change_status(membership, Status.ACTIVE, by=demo["admin_a"])
        services.change_status(membership, Status.CANCELLED, by=demo["admin_a"], reason="Flyttet")
        membership.refresh_from_db()
        assert membership.status == Status.CANCELLED and membership.ended_on is not None
        records = list(membership.history.all())
        assert [r.status for r in records][:3] == ["cancelled", "active", "awaiting_verification"]
        assert records[0].history_user == demo["admin_a"]
        assert records[0].history_change_reason == "Flyttet"


@pytest.mark.parametrize(
    "start,target",
    [
        (Status.PENDING, Status.REJECTED),
        (Status.ACTIVE, Status.PENDING),
        (Status.SENT_FOR_APPROVAL, Status.CANCELLED),
        # R-REG-7: only the approval panel decides, so the member gets the answer
        (Status.SENT_FOR_APPROVAL, Status.ACTIVE),
        (Status.SENT_FOR_APPROVAL, Status.REJECTED),
        (Status.PENDING, "nonsense"),
    ],
)
def test_forbidden_transitions_raise_and_change_nothing(demo, membership, start, target):
    with scope(club=demo["a"]):
        Membership.objects.filter(pk=membership.pk).update(status=start)
        membership.refresh_from_db()
        with pytest.raises(services.InvalidStatusTransition):
            services.change_status(membership, target)
        membership.refresh_from_db()
        assert membership.status == start


def test_an_approval_decision_moves_a_membership_sent_for_approval(demo, membership):
    with scope(club=demo["a"]):
        Membership.objects.filter(pk=membership.pk).update(status=Status.SENT_FOR_APPROVAL)
        membership.refresh_from_db()
        services.change_status(membership, Status.ACTIVE, approval_decision=True)
        membership.refresh_from_db()
        assert membership.status == Status.ACTIVE


def test_a_person_is_member_of_a_club_once(demo, membership):
    with scope(club=demo["a"]), pytest.raises(services.AlreadyMember):
        services.add_membership(demo["a"], membership.person, source=Membership.Source.ADMIN)


def test_one_person_can_be_member_of_two_clubs(demo, membership):
    with scope(club=demo["b"]):
        other = services.add_membership(
            demo["b"], membership.person, source=Membership.Source.ADMIN
        )
    assert other.club == demo["b"] and other.person == membership.person


def test_create_club_with_admin(db):
    club = services.create_club(
        "ny-klubb", "Ny Klubb IL", org_number="974760673", admin_email="leder@example.no"
    )
    assert club.roles.get().user.email == "leder@example.no"
    with pytest.raises(services.MembersError):
        services.create_club("ny-klubb", "Igjen")
