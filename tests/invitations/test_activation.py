"""Activating a migrated club (R-ACT-1, R-ACT-2, R-ACT-3) with the federation's club-a
sample imported: who gets a verification e-mail, who does not, and that running it
twice sends nothing twice."""

import io
import re

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse
from django_scopes import scopes_disabled

from comms.models import OutboundMessage, SendBatch
from invitations import services
from invitations.contacts import contact_for
from invitations.models import VerificationRequest
from members.models import Membership

from .conftest import MATCHED, SLUG

Status = Membership.Status


def memberships(club):
    return Membership.objects.filter(club=club).select_related("person")


def address_of(membership) -> set[str]:
    """Every address a verification about this membership may go to."""
    person = membership.person
    return {a for a in [person.email, *(g.email for g in person.guardians.all())] if a}


def test_activate_club_asks_each_pending_member_with_an_address_once(imported, unscoped):
    """R-ACT-2, R-ACT-3: exactly one verification e-mail per pending membership that has
    an address (own or a guardian's), none for the members who matched an existing
    person, and the rest listed as without e-mail."""
    club = imported.club
    matched = [m for m in memberships(club) if m.person in imported.registered]
    assert len(matched) == MATCHED
    assert all(m.status == Status.ACTIVE for m in matched)
    pending = list(memberships(club).filter(status=Status.PENDING))
    reachable = {m.pk for m in pending if address_of(m)}
    unreachable = {m.pk for m in pending if not address_of(m)}
    assert reachable and unreachable, "the sample has members with and without e-mail"
    before = OutboundMessage.objects.count()

    result = services.activate_club(club, by=imported.admin)

    assert result.queued == len(reachable)
    assert {m.pk for m in result.without_email} == unreachable
    requests = list(VerificationRequest.objects.filter(club=club).select_related("message"))
    assert sorted(r.membership_id for r in requests) == sorted(reachable)
    assert OutboundMessage.objects.count() - before == len(reachable)
    for r in requests:
        message = r.message
        assert message.to_address == r.email
        assert r.email in address_of(memberships(club).get(pk=r.membership_id))
        assert message.subject.startswith("Confirm")
        assert "/bekreft/" in message.body_text
    matched_people = [m.person_id for m in matched]
    assert not OutboundMessage.objects.filter(person__in=matched_people).exists()
    assert not OutboundMessage.objects.filter(about_person__in=matched_people).exists()
    statuses = dict(memberships(club).values_list("pk", "status"))
    assert all(statuses[pk] == Status.AWAITING_VERIFICATION for pk in reachable)
    assert all(statuses[pk] == Status.PENDING for pk in unreachable)
    assert all(
        m.status == Status.ACTIVE for m in memberships(club).filter(pk__in=[m.pk for m in matched])
    )
    club.refresh_from_db()
    assert club.activated_at is not None


def test_a_child_is_asked_through_a_guardian(imported, unscoped):
    """DOMAIN.md §9: under 15 a guardian confirms; the e-mail is about the child."""
    services.activate_club(imported.club)
    requests = VerificationRequest.objects.filter(club=imported.club).exclude(
        person=F("membership__person")
    )
    assert requests.exists()
    for r in requests.select_related("membership__person", "message"):
        assert r.person in r.membership.person.guardians.all()
        assert r.message.about_person_id == r.membership.person_id
        assert r.membership.person.first_name in r.message.body_text


def test_activating_twice_sends_nothing_twice(imported, unscoped):
    """R-ACT-1: the second run queues no message and changes no status."""
    first = services.activate_club(imported.club)
    assert first.queued > 0 and first.first_activation
    count = OutboundMessage.objects.count()
    statuses = dict(memberships(imported.club).values_list("pk", "status"))

    second = services.activate_club(imported.club)

    assert second.queued == 0 and not second.first_activation
    assert OutboundMessage.objects.count() == count
    assert dict(memberships(imported.club).values_list("pk", "status")) == statuses
    assert {m.pk for m in second.without_email} == {m.pk for m in first.without_email}


def test_a_member_given_an_address_later_is_asked_by_the_next_run(imported, unscoped):
    first = services.activate_club(imported.club)
    membership = first.without_email[0]
    person = membership.person
    person.email = "ny.adresse@example.no"
    person.save()

    second = services.activate_club(imported.club)

    assert second.queued == 1
    request = VerificationRequest.objects.get(membership=membership)
    assert request.email in {"ny.adresse@example.no", *address_of(membership)}


def test_command_prints_the_count_and_the_members_without_email(imported, unscoped):
    """R-ACT-1: ``manage.py activate_club SLUG``."""
    pending = list(memberships(imported.club).filter(status=Status.PENDING))
    reachable = [m for m in pending if address_of(m)]
    out = io.StringIO()
    call_command("activate_club", SLUG, stdout=out)
    text = out.getvalue()
    assert f"{len(reachable)} verification e-mails queued" in text
    without = [m for m in pending if not address_of(m)]
    assert f"without an e-mail address ({len(without)})" in text
    for m in without:
        assert m.person.full_name in text
        assert f"/club/{SLUG}/members/{m.pk}/" in text

    again = io.StringIO()
    call_command("activate_club", SLUG, stdout=again)
    assert "0 verification e-mails queued" in again.getvalue()


def test_command_refuses_an_unknown_club(db):
    with pytest.raises(Exception, match="No club"):
        call_command("activate_club", "no-such-club", stdout=io.StringIO())


def test_contact_rules(imported, unscoped):
    """Own address from 15, a guardian's first under 15; no own login under 13."""
    for m in memberships(imported.club).prefetch_related("person__guardians"):
        contact = contact_for(m)
        age = m.person.age_on(m.club.created_at.date())
        guardian_mails = [g.email for g in m.person.guardians.all() if g.email]
        if contact is None:
            assert not address_of(m)
        elif age is not None and age < 15 and guardian_mails:
            assert contact.is_guardian
        elif m.person.email:
            assert contact.email == m.person.email and not contact.is_guardian
        login = contact_for(m, for_login=True)
        if age is not None and age < 13 and login is not None:
            assert login.is_guardian


# --- The admin's pages -------------------------------------------------------------------


def test_activation_page_confirmation_step_and_result(
    client, imported, django_capture_on_commit_callbacks
):
    """R-ACT-1: the button asks first, then activates (in the background) and the page
    lists the members without e-mail with links to their cards."""
    client.force_login(imported.admin)
    page = client.get(reverse("activation:index", args=[SLUG]))
    assert page.status_code == 200
    with scopes_disabled():
        pending = list(memberships(imported.club).filter(status=Status.PENDING))
    reachable = [m for m in pending if address_of(m)]
    html = page.content.decode()
    assert re.search(rf'id="stat-to-ask"><span class="num">{len(reachable)}<', html)
    assert reverse("activation:activate", args=[SLUG]) in html

    confirm = client.get(reverse("activation:activate", args=[SLUG]))
    assert confirm.status_code == 200
    assert f"Activate and send {len(reachable)} e-mails" in confirm.content.decode()
    key = confirm.context["send_key"]
    with scopes_disabled():
        assert not VerificationRequest.objects.filter(club=imported.club).exists()

    url = reverse("activation:activate", args=[SLUG])
    with django_capture_on_commit_callbacks(execute=True):  # the task runs at commit
        response = client.post(url, {"send_key": key})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "The club is being activated" in html
    with scopes_disabled():
        requests = VerificationRequest.objects.filter(club=imported.club)
        assert requests.count() == len(reachable)
        batch = SendBatch.objects.get(club=imported.club)
        assert batch.total == len(reachable)
        assert set(requests.values_list("message__batch", flat=True)) == {batch.pk}
    for m in pending:
        card = reverse("members:card", args=[SLUG, m.pk])
        assert (f'href="{card}"' in html) == (not address_of(m))
    assert re.search(r'id="stat-to-ask"><span class="num">0<', html)

    # A double submit of the confirmation form starts nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, {"send_key": key})
    assert "This activation was started already" in client.get(again["Location"]).content.decode()
    with scopes_disabled():
        assert VerificationRequest.objects.filter(club=imported.club).count() == len(reachable)
        assert SendBatch.objects.filter(club=imported.club).count() == 1


def test_progress_of_a_send_is_polled_until_it_is_done(client, imported, unscoped):
    """The activation page shows a running send with its progress; the poll asks for a
    reload once it has finished."""
    batch, _new = services.new_batch(imported.club, label="Verification e-mails")
    services.activate_club(imported.club, batch=batch)
    client.force_login(imported.admin)
    progress = reverse("activation:progress", args=[SLUG])
    page = client.get(reverse("activation:index", args=[SLUG])).content.decode()
    assert f'id="send-{batch.pk}"' in page and f'hx-get="{progress}"' in page
    batch.refresh_from_db()
    assert f"0 of {batch.total} sent" in client.get(progress).content.decode()
    SendBatch.objects.filter(pk=batch.pk).update(status=SendBatch.Status.FINISHED)
    done = client.get(progress)
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_resend_to_all_unverified_gives_new_links_once_per_form(
    client, imported, unscoped, django_capture_on_commit_callbacks
):
    """R-ACT-2: all unverified members get a new link, the old one stops working; the
    same form sent twice sends once."""
    services.activate_club(imported.club)
    waiting = memberships(imported.club).filter(status=Status.AWAITING_VERIFICATION).count()
    count = OutboundMessage.objects.count()
    client.force_login(imported.admin)
    url = reverse("activation:resend_all", args=[SLUG])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"send_key": "abc123"})
    assert (
        "New verification e-mails are prepared" in client.get(response["Location"]).content.decode()
    )
    assert OutboundMessage.objects.count() == count + waiting
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, {"send_key": "abc123"})
    assert "sent already" in client.get(again["Location"]).content.decode()
    assert OutboundMessage.objects.count() == count + waiting
    requests = VerificationRequest.objects.filter(club=imported.club)
    assert requests.filter(superseded_at__isnull=True).count() == waiting
    assert requests.filter(superseded_at__isnull=False).count() == waiting
    # The service itself: the same key again queues nothing.
    assert services.resend_verifications(imported.club, key="abc123").queued == 0
