"""Invoice runs (R-BIL-2, R-BIL-4, R-BIL-5): idempotent, never early, one invoice per
recipient, gapless numbers, and a crashed run that is restarted ends as if it never
crashed."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django_scopes import scopes_disabled
from stdnum import luhn

from billing import services
from billing.models import Agreement, Invoice, InvoiceLine, InvoiceRun
from members.models import Household

from .conftest import RUN_DATE, make_club, make_fee, make_member


def invoices(club):
    with scopes_disabled():
        return list(Invoice.objects.filter(club=club).order_by("number").prefetch_related("lines"))


def summary(club):
    """What a treasurer compares between two runs: number, KID, recipient, total, lines."""
    return [
        (
            inv.number,
            inv.kid,
            inv.recipient_name,
            inv.total,
            [(line.description, line.period_start, line.amount) for line in inv.lines.all()],
        )
        for inv in invoices(club)
    ]


def test_run_bills_due_agreements_and_a_second_run_bills_nothing(club):
    """R-BIL-4: running twice on the same date never bills anyone twice."""
    fee = make_fee(club)
    for name in ("Anne", "Bjørn", "Cecilie"):
        make_member(club, name, fee=fee)
    first = services.run_invoices(club, RUN_DATE)
    assert (first.status, first.total, first.done, first.invoices) == ("finished", 3, 3, 3)
    assert first.amount == Decimal("3000.00")
    second = services.run_invoices(club, RUN_DATE)
    assert (second.status, second.total, second.invoices) == ("finished", 0, 0)
    assert [inv.number for inv in invoices(club)] == [1, 2, 3]
    with scopes_disabled():
        assert InvoiceLine.objects.filter(club=club).count() == 3
        assert set(
            Agreement.objects.filter(club=club).values_list("next_billing_date", flat=True)
        ) == {date(2027, 1, 15)}


def test_invoice_carries_club_recipient_kid_and_dates(club):
    """R-BIL-5: number, KID (MOD10), account, invoice date, due date (club setting)."""
    fee = make_fee(club, price="450.50")
    make_member(club, "Dag", fee=fee)
    services.run_invoices(club, RUN_DATE)
    (inv,) = invoices(club)
    assert inv.number == 1 and inv.kid == "000000018" and luhn.is_valid(inv.kid)
    assert (inv.issue_date, inv.due_date) == (RUN_DATE, RUN_DATE + timedelta(days=14))
    assert (inv.seller_name, inv.seller_account) == ("Faktura IL", "12345678903")
    assert inv.seller_address == "Idrettsveien 1, 0150 Oslo"
    assert (inv.recipient_name, inv.recipient_address, inv.recipient_city) == (
        "Dag Hansen",
        "Gata 1",
        "Oslo",
    )
    assert inv.total == Decimal("450.50") and inv.vat_total == Decimal("0.00")
    (line,) = inv.lines.all()
    assert (line.period_start, line.period_end) == (RUN_DATE, date(2027, 1, 14))
    assert line.description == "Kontingent – Dag Hansen"


def test_agreement_due_tomorrow_is_not_billed_today(club):
    """R-BIL-4: never before the agreement's next billing date."""
    fee = make_fee(club)
    make_member(club, "Eva", fee=fee, next_billing_date=RUN_DATE + timedelta(days=1))
    assert services.run_invoices(club, RUN_DATE).invoices == 0
    assert invoices(club) == []
    assert services.run_invoices(club, RUN_DATE + timedelta(days=1)).invoices == 1


def test_a_parent_with_three_children_gets_one_invoice(club):
    """R-BIL-4: one invoice per recipient per run collects the recipient's lines."""
    fee = make_fee(club, price="300.00")
    parent = make_member(club, "Forelder", fee=None).person
    for name in ("Ida", "Jon", "Kari"):
        make_member(club, name, birth=date(2015, 3, 3), guardian=parent, fee=fee)
    make_member(club, "Lars", fee=fee)
    services.run_invoices(club, RUN_DATE)
    by_recipient = {inv.recipient_name: inv for inv in invoices(club)}
    assert sorted(by_recipient) == ["Forelder Hansen", "Lars Hansen"]
    family = by_recipient["Forelder Hansen"]
    assert family.total == Decimal("900.00")
    assert sorted(line.person.first_name for line in family.lines.all()) == ["Ida", "Jon", "Kari"]


def test_household_payer_receives_the_household_invoice(club):
    fee = make_fee(club)
    with scopes_disabled():
        household = Household.objects.create(club=club, name="Berg")
    payer = make_member(club, "Betaler", last="Berg", household=household, fee=fee)
    with scopes_disabled():
        household.payer = payer.person
        household.save()
    make_member(club, "Partner", last="Berg", household=household, fee=fee)
    services.run_invoices(club, RUN_DATE)
    (inv,) = invoices(club)
    assert inv.recipient_name == "Betaler Berg" and inv.lines.count() == 2


def test_next_billing_date_moves_by_the_period_and_catches_up(club):
    monthly = make_fee(club, name="Trening", price="100.00", period="month")
    once = make_fee(club, name="Drakt", price="250.00", period="once")
    make_member(club, "Mona", fee=monthly, next_billing_date=date(2025, 11, 15))
    with scopes_disabled():
        membership = make_member(club, "Nils", fee=once)
        services.run_invoices(club, RUN_DATE)
        lines = {
            line.person.first_name: line
            for line in InvoiceLine.objects.filter(club=club).order_by("period_start")
        }
        monthly_lines = InvoiceLine.objects.filter(fee=monthly).order_by("period_start")
        assert [(ln.period_start, ln.period_end) for ln in monthly_lines] == [
            (date(2025, 11, 15), date(2025, 12, 14)),
            (date(2025, 12, 15), date(2026, 1, 14)),
            (date(2026, 1, 15), date(2026, 2, 14)),
        ]
        assert lines["Nils"].period_end == RUN_DATE
        once_agreement = Agreement.objects.get(person=membership.person)
        assert once_agreement.next_billing_date is None
    assert services.run_invoices(club, date(2026, 12, 31)).invoices == 1  # Mona only


def test_cancelled_agreement_bills_nothing_after_its_end_date(club):
    """R-BIL-2."""
    fee = make_fee(club, period="month", price="100.00")
    membership = make_member(club, "Ola", fee=fee)
    with scopes_disabled():
        agreement = Agreement.objects.get(person=membership.person)
    services.cancel_agreement(agreement, ends_on=RUN_DATE + timedelta(days=40))
    services.run_invoices(club, RUN_DATE + timedelta(days=200))
    with scopes_disabled():
        starts = list(
            InvoiceLine.objects.filter(agreement=agreement).values_list("period_start", flat=True)
        )
    assert starts == [RUN_DATE, date(2026, 2, 15)]  # 15 March is after 24 February


def test_the_same_charge_cannot_be_written_twice(club):
    """DESIGN.md: UniqueConstraint(agreement, period_start) is the last word."""
    fee = make_fee(club)
    make_member(club, "Per", fee=fee)
    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        line = InvoiceLine.objects.get(club=club)
        line.pk = None
        with pytest.raises(IntegrityError), transaction.atomic():
            line.save()


def test_interrupted_run_restarted_ends_like_an_uninterrupted_run(monkeypatch, db):
    """R-BIL-4: a crash half-way, then a new run: nobody billed twice, nobody skipped,
    numbers without gaps, the same invoices as a run that never crashed."""
    clubs = [make_club("uten-krasj"), make_club("med-krasj")]
    for club in clubs:
        fee = make_fee(club, price="199.90")
        for i in range(7):
            make_member(club, f"Medlem{i}", fee=fee)
    services.run_invoices(clubs[0], RUN_DATE, batch_size=2)

    real = services.bill_batch
    calls = []

    def crash_on_third(run, payer_ids):
        calls.append(payer_ids)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real(run, payer_ids)

    monkeypatch.setattr(services, "bill_batch", crash_on_third)
    with pytest.raises(RuntimeError):
        services.run_invoices(clubs[1], RUN_DATE, batch_size=2)
    with scopes_disabled():
        crashed = InvoiceRun.objects.get(club=clubs[1])
    assert (crashed.status, crashed.invoices, crashed.done, crashed.total) == ("failed", 4, 4, 7)
    assert "worker killed" in crashed.error
    assert len(invoices(clubs[1])) == 4

    monkeypatch.setattr(services, "bill_batch", real)
    restarted = services.run_invoices(clubs[1], RUN_DATE, batch_size=2)
    assert (restarted.total, restarted.invoices) == (3, 3)
    assert summary(clubs[1]) == summary(clubs[0])
    assert [s[0] for s in summary(clubs[1])] == list(range(1, 8))


def test_decimal_totals_exact_to_the_ore(club):
    """Money is Decimal: 0.10 + 0.20 is 0.30, and percent discounts round to øre."""
    tenth = make_fee(club, name="Ti øre", price="0.10")
    fifth = make_fee(club, name="Tjue øre", price="0.20")
    third = make_fee(
        club,
        name="Tredel",
        price="333.33",
        rules=[{"kind": "age_band", "min_age": 0, "max_age": 200, "percent": Decimal("33.33")}],
    )
    membership = make_member(club, "Rita", fee=tenth)
    for fee in (fifth, third):
        services.create_agreement(membership, fee, source="admin", next_billing_date=RUN_DATE)
    services.run_invoices(club, RUN_DATE)
    (inv,) = invoices(club)
    amounts = sorted(line.amount for line in inv.lines.all())
    assert amounts == [Decimal("0.10"), Decimal("0.20"), Decimal("222.23")]
    assert inv.total == Decimal("222.53")
    assert all(isinstance(a, Decimal) for a in amounts)


def test_command_runs_one_club_on_a_date(club):
    fee = make_fee(club)
    make_member(club, "Siri", fee=fee)
    out = StringIO()
    call_command(
        "run_invoices", "--club", club.slug, "--date", "2026-01-15", "--no-send", stdout=out
    )
    assert "faktura-il: 1 invoice(s), 1000.00 NOK" in out.getvalue()
    out = StringIO()
    call_command("run_invoices", "--club", club.slug, "--date", "2026-01-15", stdout=out)
    assert "faktura-il: 0 invoice(s)" in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_invoices", "--date", "15/01/2026")
    with pytest.raises(CommandError, match="No club"):
        call_command("run_invoices", "--club", "finnes-ikke")


def test_daily_beat_runs_only_clubs_that_made_their_first_run(club, monkeypatch):
    """R-BIL-11: a club fresh from migration is not billed before its admin looked."""
    from billing import tasks

    queued = []
    monkeypatch.setattr(
        tasks.run_invoices, "delay", lambda *args, **kwargs: queued.append((*args, kwargs))
    )
    fee = make_fee(club)
    make_member(club, "Tor", fee=fee)
    others = tasks.daily_runs()  # the demo clubs have made their first runs
    assert club.pk not in [args[0] for args in queued]
    assert tasks.run_invoices(club.pk, "2026-01-15") == 1  # the first run, by hand
    queued.clear()
    assert tasks.daily_runs() == others + 1 and club.pk in [args[0] for args in queued]
    assert all(args[-1] == {"send": True} for args in queued)  # the daily run sends


def test_nothing_billed_after_the_membership_ended(club):
    """R-BIL-2: a member who left is not billed for periods after leaving, even before
    the agreement itself is cancelled."""
    from members.services import change_status

    fee = make_fee(club, period="month", price="100.00")
    gone = make_member(club, "Sluttet", fee=fee)
    stays = make_member(club, "Blir", fee=fee)
    with scopes_disabled():
        change_status(gone, "cancelled", on=date(2026, 2, 20))
    services.run_invoices(club, date(2026, 4, 30))
    with scopes_disabled():
        gone_starts = list(
            InvoiceLine.objects.filter(person=gone.person).values_list("period_start", flat=True)
        )
        assert InvoiceLine.objects.filter(person=stays.person).count() == 4
    assert gone_starts == [RUN_DATE, date(2026, 2, 15)]
    assert services.run_invoices(club, date(2026, 12, 31)).total == 1


def test_command_sends_unless_told_not_to(club, monkeypatch, django_capture_on_commit_callbacks):
    """R-BIL-4/R-BIL-6: the operator's run queues the PDFs to be e-mailed; --no-send only
    makes them."""
    from billing.pdf import tasks as pdf_tasks

    queued = []
    monkeypatch.setattr(pdf_tasks.issue_invoices, "delay", lambda ids, send: queued.append(send))
    fee = make_fee(club)
    make_member(club, "Siri", fee=fee)
    make_member(club, "Per", fee=fee, next_billing_date=date(2026, 2, 15))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_invoices", "--club", club.slug, "--date", "2026-01-15", "--no-send")
    with django_capture_on_commit_callbacks(execute=True):
        out = StringIO()
        call_command("run_invoices", "--club", club.slug, "--date", "2026-02-15", stdout=out)
    assert queued == [False, True]
    assert out.getvalue().rstrip().endswith(", sent")
