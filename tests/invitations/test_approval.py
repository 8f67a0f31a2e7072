"""Approval of memberships sent for approval (R-REG-7 (i), R-REG-8): the club admin
approves or rejects from the member card with a comment; the member (or a guardian, for
a child) gets an e-mail either way, the comment as the reason on rejection; approval
starts billing by the club's settings; a double submit is one decision."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from billing.models import Agreement
from billing.services import first_billing_date
from comms.models import OutboundMessage
from invitations.models import ApprovalDecision
from invitations.services import approval
from members import services as member_services
from members.models import Group, Membership
from tests.billing.conftest import make_fee
from tests.invitations.outbox import messages_to

pytestmark = pytest.mark.django_db
OSLO = ZoneInfo("Europe/Oslo")
Status = Membership.Status


def at(day: date, hour: int = 12):
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour, tzinfo=OSLO), tick=False
    )


def applicant(club, *, first="Sara", born=date(1990, 4, 4), email="sara@example.no", fee=None):
    """A self-registered membership waiting for approval."""
    with scopes_disabled():
        person = member_services.create_person(
            first_name=first, last_name="Lie", birth_date=born, email=email
        )
        return member_services.add_membership(
            club,
            person,
            source=Membership.Source.SELF,
            category=fee.category if fee else None,
            status=Status.SENT_FOR_APPROVAL,
        )


def reload(membership) -> Membership:
    with scopes_disabled():
        return Membership.objects.get(pk=membership.pk)


def live_agreements(membership):
    with scopes_disabled():
        return list(Agreement.objects.filter(membership=membership, cancelled_at__isnull=True))


def decisions(membership):
    with scopes_disabled():
        return list(ApprovalDecision.objects.filter(membership=membership))


def urls(membership):
    slug = membership.club.slug
    return (
        reverse("approval:approve", args=[slug, membership.pk]),
        reverse("approval:reject", args=[slug, membership.pk]),
        reverse("members:card", args=[slug, membership.pk]),
    )


@pytest.fixture
def admin(client, small_club):
    client.force_login(small_club.admin)
    return client


def test_the_card_offers_approve_and_reject_while_waiting(admin, small_club):
    membership = applicant(small_club.club)
    approve_url, reject_url, card = urls(membership)
    page = admin.get(card).content.decode()
    assert 'id="panel-approval"' in page
    assert f'action="{approve_url}"' in page and f'action="{reject_url}"' in page
    assert "sara@example.no" in page  # who will be told


def test_the_panel_is_absent_for_a_member_never_sent_for_approval(admin, small_club):
    with scopes_disabled():
        person = member_services.create_person(first_name="Per", last_name="Lie")
        membership = member_services.add_membership(small_club.club, person, source="admin")
    assert 'id="panel-approval"' not in admin.get(urls(membership)[2]).content.decode()


def test_approve_asks_to_confirm_then_activates_and_bills_from_the_next_billing_day(
    admin, small_club
):
    """Billing day 15, approved on 19 November 2020: the first invoice is 15 December."""
    club = small_club.club
    club.default_billing_day = 15
    club.save()
    fee = make_fee(club, name="Ordinær")
    with at(date(2020, 11, 2)):
        membership = applicant(club, fee=fee)
    approve_url, _reject, card = urls(membership)
    with at(date(2020, 11, 19)):
        first = admin.post(approve_url, {"comment": "Velkommen!", "key": "k1"})
        assert first.status_code == 200  # the confirmation step: nothing done yet
        assert reload(membership).status == Status.SENT_FOR_APPROVAL
        assert "15.12.2020" in first.content.decode()
        response = admin.post(
            approve_url, {"comment": "Velkommen!", "key": "k1", "confirmed": "on"}
        )
    assert response.status_code == 302 and response["Location"] == card
    membership = reload(membership)
    assert membership.status == Status.ACTIVE
    assert membership.started_on == date(2020, 11, 19)  # member since the approval
    (agreement,) = live_agreements(membership)
    assert agreement.fee == fee
    assert agreement.next_billing_date == date(2020, 12, 15)
    with at(date(2020, 11, 19)):
        assert agreement.next_billing_date == first_billing_date(club)
    (mail,) = messages_to("sara@example.no")
    assert "approved" in mail.subject and "Liten IL" in mail.subject
    assert "Velkommen!" in mail.body_text and "15.12.2020" in mail.body_text
    (decision,) = decisions(membership)
    assert decision.outcome == "approved" and decision.decided_by == small_club.admin
    assert decision.message == mail
    # the history keeps who did it and why
    with scopes_disabled():
        record = membership.history.first()
    assert record.status == Status.ACTIVE and record.history_user == small_club.admin
    assert "Velkommen!" in record.history_change_reason


def test_billing_day_0_bills_on_the_day_of_approval(small_club):
    club = small_club.club
    club.default_billing_day = 0
    club.save()
    fee = make_fee(club)
    membership = applicant(club, fee=fee)
    with at(date(2021, 3, 31)):
        done = approval.approve(membership, by=small_club.admin, key="day0")
    assert done.first_invoice == date(2021, 3, 31)
    assert [a.next_billing_date for a in live_agreements(membership)] == [date(2021, 3, 31)]


def test_billing_day_28_approved_on_the_31st_bills_on_the_28th_of_the_next_month(small_club):
    club = small_club.club
    club.default_billing_day = 28
    club.save()
    membership = applicant(club, fee=make_fee(club))
    with at(date(2021, 1, 31)):
        done = approval.approve(membership, by=small_club.admin, key="d28")
    assert done.first_invoice == date(2021, 2, 28)


def test_reject_needs_a_reason_and_loses_nothing(admin, small_club):
    membership = applicant(small_club.club)
    _approve, reject_url, _card = urls(membership)
    response = admin.post(reject_url, {"comment": "  ", "key": "r1", "confirmed": "on"})
    assert response.status_code == 400
    assert "Write the reason for the rejection" in response.content.decode()
    assert reload(membership).status == Status.SENT_FOR_APPROVAL
    assert messages_to("sara@example.no") == [] and decisions(membership) == []
    with pytest.raises(approval.ApprovalRefused):
        approval.reject(membership, by=small_club.admin, comment="", key="r2")


def test_reject_tells_the_member_the_reason(admin, small_club):
    membership = applicant(small_club.club, fee=make_fee(small_club.club))
    _approve, reject_url, card = urls(membership)
    reason = "Klubben tar bare opp medlemmer fra kommunen.\nSøk gjerne igjen."
    response = admin.post(reject_url, {"comment": reason, "key": "r3", "confirmed": "on"})
    assert response["Location"] == card
    membership = reload(membership)
    assert membership.status == Status.REJECTED and membership.ended_on is None
    assert live_agreements(membership) == []  # nothing to bill
    (mail,) = messages_to("sara@example.no")
    assert "not approved" in mail.subject
    assert "Reason:" in mail.body_text and reason in mail.body_text
    assert "Søk gjerne igjen." in mail.body_html
    # the card now shows the decision and its reason
    page = admin.get(card).content.decode()
    assert "Rejected" in page and "Klubben tar bare opp medlemmer fra kommunen." in page
    assert f'action="{reject_url}"' not in page


def test_a_double_submit_is_one_decision_and_one_e_mail(admin, small_club):
    membership = applicant(small_club.club, fee=make_fee(small_club.club))
    approve_url, _reject, card = urls(membership)
    form = {"comment": "", "key": "same", "confirmed": "on"}
    assert admin.post(approve_url, form)["Location"] == card
    second = admin.post(approve_url, form, follow=True)
    assert "made already" in second.content.decode()
    assert len(decisions(membership)) == 1
    assert len(messages_to("sara@example.no")) == 1
    assert len(live_agreements(membership)) == 1
    # another form (another key) for a membership no longer waiting is refused
    other = admin.post(reject_url := urls(membership)[1], {"comment": "x", "key": "new"})
    assert other.status_code == 200 and "not waiting for approval" in other.content.decode()
    refused = admin.post(reject_url, {"comment": "x", "key": "new", "confirmed": "on"}, follow=True)
    assert "not waiting for approval" in refused.content.decode()
    assert reload(membership).status == Status.ACTIVE


def test_a_child_s_guardian_is_told(small_club):
    with scopes_disabled():
        parent = member_services.create_person(
            first_name="Mor", last_name="Lie", email="mor@example.no", birth_date=date(1985, 1, 1)
        )
    membership = applicant(small_club.club, first="Lille", born=date(2016, 6, 6), email="")
    with scopes_disabled():
        membership.person.guardians.add(parent)
    done = approval.reject(membership, by=small_club.admin, comment="Fullt parti.", key="c1")
    assert done.contact.person == parent
    (mail,) = messages_to("mor@example.no")
    assert mail.about_person_id == membership.person.pk
    assert "Lille" in mail.subject and "Fullt parti." in mail.body_text


def test_without_any_e_mail_address_the_decision_is_made_and_the_admin_warned(admin, small_club):
    membership = applicant(small_club.club, email="")
    approve_url, _reject, _card = urls(membership)
    page = admin.post(approve_url, {"key": "n1", "confirmed": "on"}, follow=True)
    assert "no e-mail was sent" in page.content.decode()
    assert reload(membership).status == Status.ACTIVE
    (decision,) = decisions(membership)
    assert decision.message is None
    with scopes_disabled():
        assert not OutboundMessage.objects.filter(club=small_club.club).exists()


def test_a_rejected_member_who_applies_again_can_be_approved(small_club):
    membership = applicant(small_club.club)
    approval.reject(membership, by=small_club.admin, comment="Mangler adresse.", key="a1")
    with scopes_disabled():
        member_services.change_status(reload(membership), Status.SENT_FOR_APPROVAL)
    approval.approve(reload(membership), by=small_club.admin, key="a2")
    assert reload(membership).status == Status.ACTIVE
    assert [d.outcome for d in decisions(membership)] == ["approved", "rejected"]
    assert len(messages_to("sara@example.no")) == 2


def test_the_confirmation_page_works_alone_and_says_when_nothing_waits(admin, small_club):
    membership = applicant(small_club.club)
    approve_url, reject_url, _card = urls(membership)
    assert admin.get(approve_url).status_code == 200
    assert admin.get(reject_url).status_code == 200
    approval.approve(membership, by=small_club.admin, key="g1")
    page = admin.get(reject_url).content.decode()
    assert "not waiting for approval" in page and 'name="confirmed"' not in page


def test_a_group_admin_can_neither_see_nor_decide(client, small_club, django_user_model):
    club = small_club.club
    membership = applicant(club)
    coach = django_user_model.objects.create_user("trener@liten.example.no", "x")
    with scopes_disabled():
        group = Group.objects.create(club=club, name="Parti 1")
        member_services.add_to_group(group, membership)
        member_services.grant_group_admin(group, coach)
    client.force_login(coach)
    approve_url, reject_url, card = urls(membership)
    assert 'id="panel-approval"' not in client.get(card).content.decode()
    for url in (approve_url, reject_url):
        assert client.post(url, {"comment": "x", "key": "g", "confirmed": "on"}).status_code == 403
    assert reload(membership).status == Status.SENT_FOR_APPROVAL
