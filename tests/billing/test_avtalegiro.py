"""AvtaleGiro mandates and claims (R-BIL-7, DOMAIN.md §5, issue 8 points 1–2): the claim
file round-trips through netsgiro, each invoice is claimed once, the lead time holds,
the club notifies only when the bank does not, and a credited invoice's claim is
cancelled with a cancellation file."""

from datetime import timedelta
from decimal import Decimal

import netsgiro
import pytest
from django.db import connection
from django_scopes import scopes_disabled
from stdnum import luhn

from billing import avtalegiro, services
from billing.avtalegiro.claims import ENCODING
from billing.models import (
    Agreement,
    AvtaleGiroMandate,
    BillingSettings,
    Claim,
    ClaimFile,
    Invoice,
)
from comms.models import OutboundMessage
from tests.concurrency import run_at_once

from .conftest import RUN_DATE, make_club, make_fee, make_member

ON = RUN_DATE  # invoices issued on RUN_DATE are due 14 days later; claims written that day


def nets_ready(club, *, lead=9, notice=7):
    with scopes_disabled():
        BillingSettings.objects.update_or_create(
            club=club,
            defaults={
                "nets_customer_id": "12345678",
                "nets_agreement_id": "123456789",
                "claim_lead_days": lead,
                "notice_days": notice,
            },
        )


def avtalegiro_invoices(club, names=("Åsmund", "Berit"), notify=(True, False)):
    fee = make_fee(club, price="1250.50")
    members = [make_member(club, n, last="Langnavnesen", fee=fee) for n in names]
    for m, by_bank in zip(members, notify, strict=True):
        avtalegiro.register_mandate(club, m.person, source="admin", notify_by_bank=by_bank)
    services.run_invoices(club, RUN_DATE, queue_pdfs=False)
    with scopes_disabled():
        return members, list(Invoice.objects.filter(club=club).order_by("number"))


def parsed(claim_file):
    with claim_file.file.open("rb") as fh:
        return netsgiro.parse(fh.read().decode(ENCODING))


def test_mandate_kid_identifies_the_payer_and_is_no_invoice_kid(club):
    member = make_member(club, "Kari")
    kid = avtalegiro.mandate_kid(club, member.person)
    assert len(kid) == club.kid_length and kid.startswith("9") and luhn.is_valid(kid)
    assert int(kid[1:-1]) == member.person.pk
    assert avtalegiro.is_mandate_kid(kid, club.kid_length)
    club.kid_length = 4
    with pytest.raises(avtalegiro.AvtaleGiroError, match="too short"):
        avtalegiro.mandate_kid(club, 12345)


def test_register_twice_is_one_mandate_and_agreements_follow(club):
    fee = make_fee(club)
    member = make_member(club, "Kari", fee=fee)
    first, made = avtalegiro.register_mandate(club, member.person, source="admin")
    again, made_again = avtalegiro.register_mandate(club, member.person, source="admin")
    assert made and not made_again and first.pk == again.pk
    with scopes_disabled():
        agreement = Agreement.objects.get(person=member.person)
    assert agreement.payment_method == "avtalegiro"
    avtalegiro.cancel_mandate(first)
    agreement.refresh_from_db()
    assert agreement.payment_method == "invoice"
    assert avtalegiro.active_mandate(club, member.person) is None


def test_invoices_of_mandated_payers_are_avtalegiro(club):
    _members, invoices = avtalegiro_invoices(club)
    assert {i.payment_method for i in invoices} == {"avtalegiro"}
    other = make_member(club, "Olav", fee=make_fee(club, name="Trening"))
    services.run_invoices(club, RUN_DATE, queue_pdfs=False)
    with scopes_disabled():
        assert Invoice.objects.get(recipient=other.person).payment_method == "invoice"


def test_claim_file_round_trips_through_netsgiro(club):
    nets_ready(club)
    members, invoices = avtalegiro_invoices(club)
    claim_file = avtalegiro.write_claims(club, ON)
    assert claim_file.count == 2 and claim_file.total == Decimal("2501.00")
    transmission = parsed(claim_file)
    assert transmission.data_transmitter == "12345678"
    (assignment,) = transmission.assignments
    assert assignment.type == netsgiro.AssignmentType.TRANSACTIONS
    assert assignment.agreement_id == "123456789"
    assert assignment.account == club.bank_account
    got = [
        (t.kid, t.amount_in_cents, t.date, t.payer_name, t.type) for t in assignment.transactions
    ]
    kids = [avtalegiro.mandate_kid(club, m.person) for m in members]
    assert got == [
        (kids[0], 125050, invoices[0].due_date, "Åsmund Lan", netsgiro.TransactionType(21)),
        (kids[1], 125050, invoices[1].due_date, "Berit Lang", netsgiro.TransactionType(2)),
    ]
    with scopes_disabled():
        claims = list(Claim.objects.filter(claim_file=claim_file).order_by("invoice__number"))
    assert [(c.kid, c.amount, c.due_date) for c in claims] == [
        (k, Decimal("1250.50"), i.due_date) for k, i in zip(kids, invoices, strict=True)
    ]
    # the OCR import finds the invoice of an AvtaleGiro debit through its claim
    found = avtalegiro.claim_for_debit(club, kids[1], Decimal("1250.50"), invoices[1].due_date)
    assert found.invoice_id == invoices[1].pk


def test_rerun_writes_no_second_claim(club):
    nets_ready(club)
    avtalegiro_invoices(club)
    first = avtalegiro.write_claims(club, ON)
    assert avtalegiro.write_claims(club, ON) is None
    assert avtalegiro.write_claims(club, ON + timedelta(days=1)) is None
    with scopes_disabled():
        assert Claim.objects.filter(club=club).count() == 2
        assert list(ClaimFile.objects.filter(club=club)) == [first]
    assert first.transmission_number == "0000001"


def test_due_date_closer_than_the_lead_time_is_not_claimed(club):
    nets_ready(club, lead=9, notice=7)
    _members, invoices = avtalegiro_invoices(club)  # due RUN_DATE + 14
    too_late = invoices[0].due_date - timedelta(days=8)
    assert avtalegiro.write_claims(club, too_late) is None
    assert [i.pk for i in avtalegiro.unclaimable(club, too_late)] == [i.pk for i in invoices]
    # the notice days count too when they are the longer lead
    nets_ready(club, lead=3, notice=10)
    assert avtalegiro.write_claims(club, invoices[0].due_date - timedelta(days=9)) is None
    assert avtalegiro.write_claims(club, invoices[0].due_date - timedelta(days=10)).count == 2


def test_unclaimable_invoices_become_ordinary_invoices(club):
    nets_ready(club)
    _members, invoices = avtalegiro_invoices(club)
    late = invoices[0].due_date - timedelta(days=3)
    moved = avtalegiro.send_unclaimable_as_invoices(club, late)
    assert [i.pk for i in moved] == [i.pk for i in invoices]
    with scopes_disabled():
        assert set(Invoice.objects.values_list("payment_method", flat=True)) == {"invoice"}
        keys = set(OutboundMessage.objects.values_list("idempotency_key", flat=True))
    assert {f"billing:avtalegiro-late:{i.pk}" for i in invoices} <= keys
    assert avtalegiro.write_claims(club, ON) is None


def test_notice_e_mail_only_when_the_bank_does_not_notify(club):
    nets_ready(club)
    _members, invoices = avtalegiro_invoices(club, notify=(True, False))
    claim_file = avtalegiro.write_claims(club, ON)
    with scopes_disabled():
        claims = {c.invoice_id: c for c in Claim.objects.filter(claim_file=claim_file)}
        notices = list(
            OutboundMessage.objects.filter(idempotency_key__startswith="billing:avtalegiro-notice")
        )
    assert claims[invoices[0].pk].notified_at is None
    assert claims[invoices[1].pk].notified_at is not None
    (notice,) = notices
    assert notice.to_address == invoices[1].recipient_email
    assert claims[invoices[1].pk].kid in notice.body_text
    assert "Amount: 1\xa0250,50 kr" in notice.body_text  # in the site's language
    assert invoices[1].due_date.strftime("%d.%m.%Y") in notice.body_text


def test_missing_nets_ids_is_a_clear_error_and_writes_nothing(club):
    avtalegiro_invoices(club)
    with pytest.raises(avtalegiro.AvtaleGiroError, match="Nets customer number"):
        avtalegiro.write_claims(club, ON)
    with scopes_disabled():
        assert not ClaimFile.objects.exists() and not Claim.objects.exists()


def test_credit_before_due_cancels_the_claim_with_a_cancellation_file(club):
    nets_ready(club)
    _members, invoices = avtalegiro_invoices(club)
    avtalegiro.write_claims(club, ON)
    services.credit_invoice(invoices[0], on=ON + timedelta(days=1))
    with scopes_disabled():
        claim = Claim.objects.get(invoice=invoices[0])
        cancellation = ClaimFile.objects.get(club=club, kind="cancellations")
    assert claim.cancelled_at is not None
    (assignment,) = parsed(cancellation).assignments
    assert assignment.type == netsgiro.AssignmentType.AVTALEGIRO_CANCELLATIONS
    ((kid, cents, due),) = [(t.kid, t.amount_in_cents, t.date) for t in assignment.transactions]
    assert (kid, cents, due) == (claim.kid, 125050, claim.due_date)
    assert cancellation.transmission_number == "0000002"
    # a credited invoice is not claimed again
    assert avtalegiro.write_claims(club, ON) is None


def test_command_writes_the_file_once_and_says_when_there_is_nothing(club, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    out = tmp_path / "claims.txt"
    avtalegiro_invoices(club)
    with pytest.raises(CommandError, match="Nets customer number"):
        call_command("avtalegiro_claims", "--club", club.slug, "--date", ON.isoformat(), out)
    assert not out.exists()
    nets_ready(club)
    with pytest.raises(CommandError, match="No club"):
        call_command("avtalegiro_claims", "--club", "nope", str(out))
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("avtalegiro_claims", "--club", club.slug, "--date", "15/01/2026", str(out))
    call_command("avtalegiro_claims", "--club", club.slug, "--date", ON.isoformat(), str(out))
    assert "2 claim(s), 2501.00 NOK" in capsys.readouterr().out
    transmission = netsgiro.parse(out.read_text(ENCODING))
    assert len(transmission.assignments[0].transactions) == 2
    again = tmp_path / "again.txt"
    call_command("avtalegiro_claims", "--club", club.slug, "--date", ON.isoformat(), str(again))
    assert "nothing to claim" in capsys.readouterr().out
    assert not again.exists()
    with pytest.raises(CommandError, match="exists already"):
        call_command("avtalegiro_claims", "--club", club.slug, str(out))


def test_a_debit_above_the_payers_highest_amount_is_not_claimed(club):
    nets_ready(club)
    members, invoices = avtalegiro_invoices(club)
    with scopes_disabled():
        AvtaleGiroMandate.objects.filter(payer=members[0].person).update(max_amount=1000)
    claim_file = avtalegiro.write_claims(club, ON)
    with scopes_disabled():
        assert [c.invoice_id for c in claim_file.claims.all()] == [invoices[1].pk]
    assert [i.pk for i in avtalegiro.unclaimable(club, ON)] == [invoices[0].pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_write_one_file():
    club = make_club("samtidig-avtalegiro")
    nets_ready(club)
    avtalegiro_invoices(club)
    results = run_at_once(
        lambda: avtalegiro.write_claims(club, ON), lambda: avtalegiro.write_claims(club, ON)
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r is None for r in results) == [False, True]
    with scopes_disabled():
        assert ClaimFile.objects.filter(club=club).count() == 1
        assert Claim.objects.filter(club=club).count() == 2
