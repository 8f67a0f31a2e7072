"""One-time codes by SMS (R-REG-3, R-SEC-4): six digits, ten minutes, five tries, a new
code after a minute, at most five codes an hour to a number and twenty from an IP."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django_scopes import scopes_disabled

from invitations.models import PhoneCode
from invitations.services import phone_codes
from invitations.services.phone_codes import CodeRefused, check_code, send_code
from members.services import create_club
from tests.concurrency import run_at_once

from .outbox import last_code, messages_to, needs_optional_recipient

pytestmark = needs_optional_recipient

PHONE = "+4791234567"
PURPOSE = "invitation:1"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float):
    return time_machine.travel(START + timedelta(seconds=seconds), tick=False)


def send(club, phone=PHONE, ip="192.0.2.1", purpose=PURPOSE):
    return send_code(club=club, phone=phone, purpose=purpose, ip=ip)


def refusal(call) -> CodeRefused:
    with pytest.raises(CodeRefused) as caught:
        call()
    return caught.value


@pytest.fixture
def club(small_club):
    return small_club.club


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_a_code_is_sent_by_sms_in_the_clubs_name_and_stored_hashed(club):
    with at(0):
        row = send(club)
    [sms] = messages_to(PHONE)
    code = last_code(PHONE)
    assert len(code) == 6 and code.isdigit()
    assert sms.channel == "sms" and sms.club_id == club.pk and sms.person_id is None
    assert f"{code} is your one-time code for {club.name}" in sms.body_text
    assert "valid for 10 minutes" in sms.body_text
    assert sms.body_text.endswith(f"@ims.example.no #{code}")  # the WebOTP line
    assert code not in row.code_hash and code not in row.salt and len(row.code_hash) == 64
    assert row.ip == "192.0.2.1" and row.expires_at == START + timedelta(minutes=10)
    with at(30):
        assert check_code(phone=PHONE, purpose=PURPOSE, code=code).pk == row.pk
        # typed again (a double submit): still fine
        assert check_code(phone=PHONE, purpose=PURPOSE, code=f" {code[:3]} {code[3:]} ").pk
    row.refresh_from_db()
    assert row.confirmed_at == START + timedelta(seconds=30)
    assert phone_codes.is_confirmed(phone=PHONE, purpose=PURPOSE, code_id=row.pk)
    assert not phone_codes.is_confirmed(phone=PHONE, purpose="invitation:2", code_id=row.pk)


def test_the_code_expires_after_ten_minutes(club):
    with at(0):
        send(club)
    code = last_code(PHONE)
    with at(10 * 60):
        refused = refusal(lambda: check_code(phone=PHONE, purpose=PURPOSE, code=code))
    assert refused.reason == "expired"
    assert "valid for 10 minutes" in str(refused)
    with at(10 * 60 - 1):  # a second before, it works
        assert check_code(phone=PHONE, purpose=PURPOSE, code=code)


def test_five_wrong_tries_lock_the_code(club):
    with at(0):
        row = send(club)
    code = last_code(PHONE)
    with at(20):
        for left in (4, 3, 2, 1):
            refused = refusal(lambda: check_code(phone=PHONE, purpose=PURPOSE, code=wrong(code)))
            assert (refused.reason, refused.tries_left) == ("wrong", left)
        assert "1 try left" in str(refused)
        refused = refusal(lambda: check_code(phone=PHONE, purpose=PURPOSE, code=wrong(code)))
        assert refused.reason == "locked" and "Ask for a new code" in str(refused)
        # the right code is no use now
        assert refusal(lambda: check_code(phone=PHONE, purpose=PURPOSE, code=code)).reason == (
            "locked"
        )
    row.refresh_from_db()
    assert row.attempts == 5 and row.locked_at is not None and row.confirmed_at is None
    with at(61):  # a new code works again
        send(club)
        assert check_code(phone=PHONE, purpose=PURPOSE, code=last_code(PHONE))


def test_a_new_code_only_after_a_minute_and_only_the_newest_counts(club):
    with at(0):
        send(club)
    first = last_code(PHONE)
    with at(59.5):
        refused = refusal(lambda: send(club))
    assert refused.reason == "wait" and refused.retry_after == 1
    assert "in 1 second" in str(refused)
    assert phone_codes.seconds_until_resend(PHONE, START + timedelta(seconds=15)) == 45
    with at(60):
        send(club)
    second = last_code(PHONE)
    assert len(messages_to(PHONE)) == 2
    with at(70):
        if first != second:
            assert refusal(lambda: check_code(phone=PHONE, purpose=PURPOSE, code=first)).reason == (
                "wrong"
            )
        assert check_code(phone=PHONE, purpose=PURPOSE, code=second)


def test_at_most_five_codes_an_hour_to_one_number(club):
    for i in range(5):
        with at(i * 61):
            send(club, ip=f"192.0.2.{i + 1}")  # from different networks: the number counts
    with at(5 * 61):
        refused = refusal(lambda: send(club, ip="198.51.100.7"))
    assert refused.reason == "number_limit"
    assert refused.retry_after == 3600 - 5 * 61  # until the first code is an hour old
    assert "Try again in 55 minutes" in str(refused)
    with at(3600 + 1):  # the first code has left the hour
        send(club)
    assert len(messages_to(PHONE)) == 6
    with scopes_disabled():
        assert PhoneCode.objects.filter(phone=PHONE).count() == 6


def test_at_most_twenty_codes_an_hour_from_one_ip(club):
    with at(0):
        for i in range(20):
            send(club, phone=f"+479000{i:04d}", ip="203.0.113.9")
        refused = refusal(lambda: send(club, phone="+4741234567", ip="203.0.113.9"))
        assert refused.reason == "ip_limit" and "from your network" in str(refused)
        send(club, phone="+4741234567", ip="203.0.113.10")  # another network may
    assert not messages_to("+4741234567")[1:]
    with at(3600 + 1):
        send(club, phone="+4741234568", ip="203.0.113.9")


def test_no_code_sent_means_nothing_to_check(club):
    refused = refusal(lambda: check_code(phone=PHONE, purpose=PURPOSE, code="123456"))
    assert refused.reason == "none"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks need PostgreSQL")
def test_two_requests_at_once_send_one_code(transactional_db):
    with scopes_disabled():
        club = create_club("samtidig-kode", "Samtidig IL")
    results = run_at_once(lambda: send(club), lambda: send(club))
    refused = [r for r in results if isinstance(r, CodeRefused)]
    assert len(refused) == 1 and refused[0].reason == "wait", results
    with scopes_disabled():
        assert PhoneCode.objects.filter(phone=PHONE).count() == 1
