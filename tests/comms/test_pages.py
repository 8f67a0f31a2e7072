"""The unsubscribe link (R-COM-5), the gateway's delivery report, and the member card's
message panel (R-COM-4, R-ACT-7)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from comms import services
from comms.models import OutboundMessage
from comms.rendering import unsubscribe_token
from members.models import Membership

OSLO = ZoneInfo("Europe/Oslo")


# --- Unsubscribe ------------------------------------------------------------------------------


def test_unsubscribe_link_asks_then_opts_out_without_login(client, person):
    """R-COM-5: the signed link needs no login; GET only asks (mail scanners open links),
    POST opts out; a second POST changes nothing."""
    url = reverse("comms:unsubscribe", args=[unsubscribe_token(person.pk)])
    response = client.get(url)
    assert response.status_code == 200
    assert "Kari" in response.content.decode()
    person.refresh_from_db()
    assert person.newsletter_opt_out_at is None

    assert client.post(url).status_code == 200
    person.refresh_from_db()
    first = person.newsletter_opt_out_at
    assert first is not None
    client.post(url)
    person.refresh_from_db()
    assert person.newsletter_opt_out_at == first


def test_one_click_unsubscribe_from_the_mail_client(client, person):
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click without a CSRF token."""
    client.handler.enforce_csrf_checks = True
    url = reverse("comms:unsubscribe", args=[unsubscribe_token(person.pk)])
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    person.refresh_from_db()
    assert person.newsletter_opt_out_at is not None


@pytest.mark.parametrize("token", ["nonsense", "1:abc", "MQ:1abc:forged"])
def test_tampered_unsubscribe_link_is_refused(client, person, token):
    url = reverse("comms:unsubscribe", args=[token])
    response = client.post(url)
    assert response.status_code == 400
    assert "does not work" in response.content.decode()


def test_token_of_one_person_does_not_work_for_another(person):
    token = unsubscribe_token(person.pk)
    forged = token.replace(token.split(":")[0], "OTk5", 1)
    assert services.person_for_unsubscribe(forged) is None
    assert services.person_for_unsubscribe(token) == person


# --- Delivery reports -------------------------------------------------------------------------


@pytest.fixture
def sent_sms(club, person):
    message = services.queue_sms(
        club=club, person=person, to_number=person.mobile, text="Hei", idempotency_key="dlr"
    )
    services.send_message(message.pk)
    with scopes_disabled():
        return OutboundMessage.objects.get(pk=message.pk)


def test_delivery_report_needs_the_token(client, settings, sent_sms):
    settings.SMS_WEBHOOK_TOKEN = "s3cret-token"
    url = reverse("comms:sms_delivery_report", args=["wrong"])
    assert (
        client.get(url, {"id": sent_sms.provider_message_id, "status": "true"}).status_code == 404
    )
    settings.SMS_WEBHOOK_TOKEN = ""  # not configured: the report URL is off
    assert (
        client.get(url, {"id": sent_sms.provider_message_id, "status": "true"}).status_code == 404
    )
    sent_sms.refresh_from_db()
    assert sent_sms.status == "sent"


def test_delivery_report_marks_delivered(client, settings, sent_sms):
    settings.SMS_WEBHOOK_TOKEN = "s3cret-token"
    url = reverse("comms:sms_delivery_report", args=["s3cret-token"])
    response = client.get(
        url,
        {
            "number": "4791234567",
            "status": "true",
            "id": sent_sms.provider_message_id,
            "ref": f"outbox-{sent_sms.pk}",
            "errorCode": "",
            "errorDesc": "",
        },
    )
    assert response.status_code == 200
    with scopes_disabled():
        message = OutboundMessage.objects.get(pk=sent_sms.pk)
    assert message.status == "delivered" and message.delivered_at is not None


def test_delivery_report_of_failure_keeps_the_reason(client, settings, sent_sms):
    settings.SMS_WEBHOOK_TOKEN = "s3cret-token"
    url = reverse("comms:sms_delivery_report", args=["s3cret-token"])
    client.post(
        url,
        {"status": "false", "ref": f"outbox-{sent_sms.pk}", "errorDesc": "Nummeret er ikke i bruk"},
    )
    with scopes_disabled():
        message = OutboundMessage.objects.get(pk=sent_sms.pk)
    assert message.status == "failed"
    assert message.failure_reason == "Not delivered to the phone: Nummeret er ikke i bruk"


def test_delivery_report_for_unknown_message_is_harmless(client, settings, db):
    settings.SMS_WEBHOOK_TOKEN = "s3cret-token"
    url = reverse("comms:sms_delivery_report", args=["s3cret-token"])
    assert client.get(url, {"id": "999999", "status": "true"}).status_code == 200


# --- Member card panel ------------------------------------------------------------------------


def test_member_card_lists_messages_with_status_reason_and_guardian(
    client, demo, club, sms_outbox, time_machine
):
    """R-COM-4, R-ACT-7: the member card shows every message to the member, and to their
    guardians about them, with status, the failure reason and dd.mm.yyyy HH:MM dates."""
    from comms.errors import PermanentFailure

    with scopes_disabled():
        membership = Membership.objects.filter(club=club).select_related("person").first()
    child = membership.person
    guardian = child.guardians.create(first_name="Gunn", last_name="Verge", mobile="+4791234560")
    time_machine.move_to(datetime(2026, 9, 1, 18, 5, tzinfo=OSLO), tick=False)
    to_child = services.queue_sms(
        club=club, person=child, to_number="+4791234561", text="Til deg", idempotency_key="c1"
    )
    services.send_message(to_child.pk)
    to_guardian = services.queue_sms(
        club=club,
        person=guardian,
        to_number=guardian.mobile,
        text="Om barnet ditt",
        idempotency_key="g1",
        about_person=child,
    )
    sms_outbox.fail_with = [PermanentFailure("The SMS gateway refused the number: ugyldig")]
    services.send_message(to_guardian.pk)

    client.force_login(demo["admin_a"])
    response = client.get(reverse("members:card", args=[club.slug, membership.pk]))
    html = response.content.decode()
    panel = html[html.index('id="panel-messages"') :]
    assert "Til deg" in panel and "Om barnet ditt" in panel
    assert "Gunn Verge" in panel
    assert "01.09.2026 18:05" in panel
    assert "The SMS gateway refused the number: ugyldig" in panel


def test_other_clubs_messages_are_not_on_the_card(client, demo, club):
    """R-SEC-1: a person in two clubs: one club's card shows only its own messages."""
    with scopes_disabled():
        membership = Membership.objects.filter(club=club).select_related("person").first()
    services.queue_sms(
        club=demo["b"],
        person=membership.person,
        to_number="+4791234561",
        text="Hemmelig fra B",
        idempotency_key="b1",
    )
    client.force_login(demo["admin_a"])
    html = client.get(reverse("members:card", args=[club.slug, membership.pk])).content.decode()
    assert "Hemmelig fra B" not in html
    assert 'id="panel-messages"' in html


def test_group_admin_does_not_see_the_message_panel(client, demo, club):
    """A group admin opens the card of a member of their group, without the panel."""
    from members.models import ClubRole, GroupMember

    with scopes_disabled():
        role = ClubRole.objects.get(user=demo["coach_a"], club=club, group__isnull=False)
        link = GroupMember.objects.filter(group=role.group).select_related("membership").first()
    client.force_login(demo["coach_a"])
    response = client.get(reverse("members:card", args=[club.slug, link.membership_id]))
    assert response.status_code == 200
    assert 'id="panel-groups"' in response.content.decode()
    assert 'id="panel-messages"' not in response.content.decode()
