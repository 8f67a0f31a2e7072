"""Reminders (R-BIL-10, DOMAIN.md §4, issue 8 point 4): the schedule run day by day over
60 days with time-machine — counts, levels, fees and texts as scheduled, none for paid
or credited invoices, one message per payer and run, a re-run sends nothing twice."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import reminders, sending, services
from billing.models import Invoice, Reminder
from comms.models import OutboundMessage
from comms.sms import segments

from .conftest import RUN_DATE, make_fee, make_member

pytestmark = pytest.mark.django_db

DUE = RUN_DATE + timedelta(days=14)  # the club's due_days
FEE = Decimal("70.00")


def set_schedule(club, days: str, *, fee=FEE, by_sms=True):
    club.reminder_days = days
    club.save(update_fields=["reminder_days"])
    reminders.update_settings(club, fee=fee, by_sms=by_sms)


def member(club, fee, first, *, email=True, mobile=""):
    membership = make_member(club, first, fee=fee)
    person = membership.person
    person.email = person.email if email else ""
    person.mobile = mobile
    person.save()
    return person


def bill(club, on=RUN_DATE):
    """Run invoices on ``on`` and mark them sent (as if posted or e-mailed)."""
    services.run_invoices(club, on)
    with scopes_disabled():
        sending.mark_posted(Invoice.objects.filter(club=club))


def invoice_of(person) -> Invoice:
    with scopes_disabled():
        return Invoice.objects.get(recipient=person)


def levels(invoice) -> list[tuple[int, date, Decimal]]:
    with scopes_disabled():
        rows = Reminder.objects.filter(invoice=invoice).order_by("level")
        return [(r.level, r.run_date, r.fee) for r in rows]


def messages(person, channel=None) -> list[OutboundMessage]:
    with scopes_disabled():
        rows = OutboundMessage.objects.filter(person=person).order_by("pk")
        return list(rows.filter(channel=channel) if channel else rows)


def run_days(club, days: int, on_day=None) -> dict[int, reminders.Summary]:
    """Send reminders each day from the due date on, ``days`` days, with time-machine;
    ``on_day(n)`` runs first on day n (payments, credit notes)."""
    summaries = {}
    for n in range(days + 1):
        with time_machine.travel(DUE + timedelta(days=n), tick=False):
            if on_day:
                on_day(n)
            summaries[n] = reminders.send_reminders(club, timezone.localdate())
    return summaries


# --- acceptance: 60 days of a 7,21 schedule with a fee ---------------------------------


def test_sixty_days_of_reminders_as_scheduled(club):
    set_schedule(club, "7,21")
    fee = make_fee(club, price="600.00")
    agnes = member(club, fee, "Agnes", mobile="+4791234567")  # e-mail and SMS
    cecilie = member(club, fee, "Cecilie", email=False)  # neither: for the post
    gunnar = member(club, fee, "Gunnar", email=False, mobile="+4792345678")  # SMS only
    dag = member(club, fee, "Dag")  # pays on day 10
    eva = member(club, fee, "Eva")  # credited on day 15
    bill(club)

    def on_day(n):
        if n == 10:
            services.record_payment(
                invoice_of(dag),
                club=club,
                amount=Decimal("600.00"),
                method="manual",
                paid_on=timezone.localdate(),
            )
        if n == 15:
            services.credit_invoice(invoice_of(eva))

    summaries = run_days(club, 60, on_day)

    days_sent = {n: s.reminders for n, s in summaries.items() if s.reminders}
    assert days_sent == {7: 5, 21: 3}  # everyone on day 7; Dag and Eva not on day 21
    # reminder 1 on day 7 without fee (< 14 days), reminder 2 on day 21 with the fee
    new_due_7, new_due_21 = DUE + timedelta(days=21), DUE + timedelta(days=35)
    assert levels(invoice_of(agnes)) == [(1, DUE + timedelta(7), 0), (2, DUE + timedelta(21), FEE)]
    assert levels(invoice_of(cecilie)) == levels(invoice_of(agnes))  # on paper: written
    assert levels(invoice_of(gunnar)) == [(1, DUE + timedelta(7), 0), (2, DUE + timedelta(21), 0)]
    assert [lvl for lvl, *_ in levels(invoice_of(dag))] == [1]  # paid on day 10
    assert [lvl for lvl, *_ in levels(invoice_of(eva))] == [1]  # credited on day 15
    assert summaries[21].fees == 2 * FEE

    with scopes_disabled():
        second = Reminder.objects.get(invoice__recipient=agnes, level=2)
        first = Reminder.objects.get(invoice__recipient=agnes, level=1)
        post = Reminder.objects.filter(invoice__recipient=cecilie)
        assert (first.new_due_date, second.new_due_date) == (new_due_7, new_due_21)
        assert (first.open_amount, second.open_amount) == (Decimal("600.00"), Decimal("670.00"))
        assert (second.by_email, second.by_sms) == (True, True)
        assert not any(r.by_email or r.by_sms for r in post)
    assert summaries[7].for_post == 1 and summaries[21].for_post == 1

    # texts: the e-mail lists the invoice with amounts, dates, KID, account and fee
    assert len(messages(agnes, "email")) == 2 and len(messages(agnes, "sms")) == 2
    mail = messages(agnes, "email")[1]
    invoice = invoice_of(agnes)
    assert f"invoice {invoice.number} from Faktura IL is not paid" in mail.subject
    for text in (
        invoice.kid,
        "1234.56.78903",
        "600,00 kr",
        "Reminder fee: 70,00 kr",
        "To pay: 670,00 kr",
        DUE.strftime("%d.%m.%Y"),
        new_due_21.strftime("%d.%m.%Y"),
        "inkassoforskriften",
    ):
        assert text in mail.body_text, text
    first_mail = messages(agnes, "email")[0].body_text
    assert "Reminder fee" not in first_mail and "To pay: 600,00 kr" in first_mail
    sms = messages(agnes, "sms")[1].body_text
    assert invoice.kid in sms and "670,00 kr" in sms and "70,00 kr" in sms
    assert segments.count(sms) == (segments.GSM7, 1, len(sms))  # one plain SMS
    assert messages(cecilie) == []
    assert [m.channel for m in messages(gunnar)] == ["sms", "sms"]
    assert len(messages(dag)) == 1 and len(messages(eva)) == 1


def test_one_message_per_payer_and_run_with_two_overdue_invoices(club):
    set_schedule(club, "7")
    frida = member(club, make_fee(club, price="300.00", name="A"), "Frida", mobile="+4793456789")
    bill(club)
    with scopes_disabled():
        membership = frida.memberships.get()
    services.create_agreement(
        membership,
        make_fee(club, price="450.00", name="B"),
        source="admin",
        next_billing_date=RUN_DATE,
    )
    bill(club)
    with scopes_disabled():
        invoices = list(Invoice.objects.filter(recipient=frida).order_by("number"))
    assert len(invoices) == 2

    summaries = run_days(club, 20)

    assert summaries[7].reminders == 2 and summaries[7].emails == 1 and summaries[7].sms == 1
    assert [m.channel for m in messages(frida)] == ["email", "sms"]
    mail, sms = messages(frida)
    assert "2 invoices from Faktura IL are not paid" in mail.subject
    for invoice in invoices:
        assert str(invoice.number) in mail.body_text and invoice.kid in mail.body_text
        assert invoice.kid in sms.body_text
    assert "In all: 750,00 kr" in mail.body_text
    assert sum(s.reminders for s in summaries.values()) == 2


def test_a_rerun_the_same_day_sends_nothing_twice(club):
    set_schedule(club, "7,21")
    agnes = member(club, make_fee(club), "Agnes", mobile="+4791234567")
    bill(club)
    day = DUE + timedelta(days=7)
    first = reminders.send_reminders(club, day)
    again = reminders.send_reminders(club, day)
    assert (first.reminders, first.emails, first.sms) == (1, 1, 1)
    assert (again.reminders, again.emails, again.sms) == (0, 0, 0)
    assert len(messages(agnes)) == 2 and len(levels(invoice_of(agnes))) == 1


def test_paid_meanwhile_is_not_reminded(club, monkeypatch):
    """Planned, then paid before the reminder is written: the check under the lock wins."""
    set_schedule(club, "7")
    agnes = member(club, make_fee(club), "Agnes")
    bill(club)
    day = DUE + timedelta(days=7)
    planned = reminders.due_reminders(club, day)
    assert [d.invoice.recipient_id for d in planned] == [agnes.pk]
    services.record_payment(
        invoice_of(agnes), club=club, amount=Decimal("1000.00"), method="manual", paid_on=day
    )
    monkeypatch.setattr(reminders, "due_reminders", lambda club, on: planned)
    summary = reminders.send_reminders(club, day)
    assert (summary.reminders, summary.skipped) == (0, 1)
    assert levels(invoice_of(agnes)) == [] and messages(agnes) == []


def test_not_reminded_unsent_claimed_or_partly_paid_to_nothing(club):
    from billing.models import AvtaleGiroMandate, Claim, ClaimFile

    set_schedule(club, "7")
    fee = make_fee(club)
    unsent, claimed, partly = (member(club, fee, name) for name in ("Ulf", "Cato", "Per"))
    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        sending.mark_posted(Invoice.objects.exclude(recipient=unsent))
        mandate = AvtaleGiroMandate.objects.create(
            club=club, payer=claimed, kid="1", source="admin"
        )
        claim_file = ClaimFile.objects.create(club=club, run_date=RUN_DATE, transmission_number="1")
        invoice = invoice_of(claimed)
        Claim.objects.create(
            club=club,
            invoice=invoice,
            mandate=mandate,
            claim_file=claim_file,
            kid=invoice.kid,
            amount=invoice.total,
            due_date=invoice.due_date,
        )
    services.record_payment(
        invoice_of(partly), club=club, amount=Decimal("400.00"), method="manual", paid_on=DUE
    )
    summary = reminders.send_reminders(club, DUE + timedelta(days=7))
    assert summary.reminders == 1
    assert levels(invoice_of(unsent)) == [] and levels(invoice_of(claimed)) == []
    with scopes_disabled():
        assert Reminder.objects.get(invoice__recipient=partly).open_amount == Decimal("600.00")


# --- the fee rules (DOMAIN.md §4) -----------------------------------------------------


def test_fee_plan_follows_the_regulation(club):
    def plan(days):
        club.reminder_days = days
        return [(s.days, s.fee) for s in reminders.fee_plan(club, FEE)]

    assert plan("7,21") == [(7, 0), (21, FEE)]
    # the second fee only after the first one's 14-day deadline passed (day 28 is its last)
    assert plan("14,28") == [(14, FEE), (28, 0)]
    assert plan("14,29") == [(14, FEE), (29, FEE)]
    assert plan("14,29,44,60") == [(14, FEE), (29, FEE), (44, 0), (60, 0)]  # at most two
    assert plan("3,10") == [(3, 0), (10, 0)]
    assert reminders.fee_plan(club, Decimal("0")) == [
        reminders.Step(level=1, days=3, fee=0),
        reminders.Step(level=2, days=10, fee=0),
    ]


def test_a_late_start_keeps_the_schedules_gap(club):
    """Switched on 40 days after the due date: reminder 1 now, reminder 2 after the
    schedule's 14-day gap — never on the next day."""
    set_schedule(club, "")
    agnes = member(club, make_fee(club), "Agnes")
    bill(club)
    set_schedule(club, "7,21")
    start = DUE + timedelta(days=40)
    sent = {}
    for n in range(20):
        day = start + timedelta(days=n)
        if reminders.send_reminders(club, day).reminders:
            sent[n] = [lvl for lvl, *_ in levels(invoice_of(agnes))]
    assert sent == {0: [1], 14: [1, 2]}
    # the second on the first one's last day of payment: no second fee yet
    assert [fee for *_, fee in levels(invoice_of(agnes))] == [FEE, 0]


def test_the_fee_cap_is_refused(club, settings):
    settings.REMINDER_FEE_CAP = Decimal("75.00")
    with pytest.raises(Exception) as refused:
        reminders.update_settings(club, fee=Decimal("75.01"), by_sms=True)
    assert "at most 75,00 kr" in " ".join(refused.value.messages)
    assert reminders.settings_for(club).reminder_fee == Decimal("0")
    assert reminders.update_settings(club, fee=Decimal("75.00"), by_sms=False).reminder_fee == 75


def test_amount_owed_counts_the_fees_payments_cover_the_invoice_first(club):
    set_schedule(club, "14")
    agnes = member(club, make_fee(club), "Agnes")
    bill(club)
    reminders.send_reminders(club, DUE + timedelta(days=14))
    invoice = invoice_of(agnes)
    assert reminders.amount_owed(invoice) == Decimal("1070.00")
    services.record_payment(
        invoice, club=club, amount=Decimal("1000.00"), method="manual", paid_on=DUE
    )
    invoice = invoice_of(agnes)
    assert invoice.status == Invoice.Status.PAID and services.open_amount(invoice) == 0
    assert reminders.amount_owed(invoice) == FEE  # the fee is still owed, never reminded
    assert reminders.send_reminders(club, DUE + timedelta(days=40)).reminders == 0
    services.record_payment(invoice, club=club, amount=FEE, method="manual", paid_on=DUE)
    assert reminders.amount_owed(invoice_of(agnes)) == 0


def test_a_credited_invoice_owes_no_fee(club):
    set_schedule(club, "14")
    agnes = member(club, make_fee(club), "Agnes")
    bill(club)
    reminders.send_reminders(club, DUE + timedelta(days=14))
    services.credit_invoice(invoice_of(agnes))
    assert reminders.amount_owed(invoice_of(agnes)) == 0


# --- texts ------------------------------------------------------------------------------


def test_the_sms_stays_short_with_many_invoices(club):
    rows = [
        {
            "number": 1000 + i,
            "kid": "123456789",
            "account": "1234.56.78903",
            "new_due_date": DUE,
            "amount": Decimal("1250.00"),
            "fee": FEE if i < 2 else Decimal("0"),
        }
        for i in range(8)
    ]
    one = reminders.sms_text(club, rows[:1])
    assert one == (
        "Faktura IL: Reminder: invoice 1000 is not paid. Please pay 1 250,00 kr (incl. "
        "reminder fee 70,00 kr) by 29.01.2026 to account 1234.56.78903, KID 123456789."
    )
    assert segments.count(one).parts == 1 and segments.is_gsm7(one)
    two = reminders.sms_text(club, rows[:2])
    assert "invoice 1000, KID 123456789: 1 250,00 kr; invoice 1001" in two
    assert "2 500,00 kr in all (incl. reminder fee 140,00 kr)" in two
    assert segments.count(two).parts <= 2 and segments.is_gsm7(two)
    many = reminders.sms_text(club, rows)
    assert segments.count(many).parts <= 2 and segments.is_gsm7(many)
    assert "8 invoices are not paid, 10 000,00 kr in all" in many


def test_no_schedule_no_reminders(club):
    set_schedule(club, "")
    member(club, make_fee(club), "Agnes")
    bill(club)
    assert reminders.due_reminders(club, DUE + timedelta(days=90)) == []
    assert reminders.send_reminders(club, DUE + timedelta(days=90)).reminders == 0
