"""Accounting exports (issue 8 point 6, R-BIL-12). Acceptance: over a seeded year of
monthly runs — invoices paid in full, in part and too much, credited in full and in part,
refunded, payments that matched nothing (one placed later) — the export reconciles,
invoiced − credited = paid + open to the øre, and the journal balances per voucher and
in total, its receivables account moving by exactly the open amount."""

import csv
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from openpyxl import load_workbook

from billing import accounting, journal, refunds, reminders, services
from billing.models import Fee, Invoice, Payment, Reminder

from .conftest import make_fee, make_member

pytestmark = pytest.mark.django_db
YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", ".")) if text else Decimal("0")


def seed_year(club):
    """12 monthly runs for 8 members (two fees, one with 25 % VAT and an account of its
    own), then each invoice paid, credited or refunded by a seeded die; reminder fees on
    some open invoices, one of them credited in full afterwards (its fees withdrawn)."""
    plain = make_fee(club, price="333.33", period="month", name="Kontingent")
    with scopes_disabled():
        taxed = make_fee(club, price="199.90", period="month", name="Treningsavgift")
        Fee.objects.filter(pk=taxed.pk).update(vat_rate=Decimal("25"), account_number="3100")
    for i in range(8):
        make_member(club, f"M{i}", last=f"Nr{i}", fee=plain, next_billing_date=date(2026, 1, 15))
        if i % 2:
            m = make_member(club, f"T{i}", last=f"Nr{i}", fee=taxed)
            m.next_billing_date = date(2026, 1, 15)
    for month in range(1, 13):
        services.run_invoices(club, date(2026, month, 15))
    die = random.Random(8)
    with scopes_disabled():
        invoices = list(Invoice.objects.filter(club=club).order_by("number"))
    assert len(invoices) >= 96
    for inv in invoices:
        day = min(inv.issue_date + timedelta(days=die.randint(1, 20)), YEAR_END)
        pay = {"club": club, "method": "ocr", "paid_on": day}
        roll = die.random()
        if roll < 0.35:
            services.record_payment(inv, amount=inv.total, **pay)
        elif roll < 0.45:
            services.record_payment(inv, amount=inv.total / 3, **pay)
        elif roll < 0.52:
            services.record_payment(inv, amount=inv.total + Decimal("12.34"), **pay)
        elif roll < 0.60:
            services.credit_invoice(inv, on=day)
        elif roll < 0.68:
            services.credit_invoice(inv, amount=Decimal("100.01"), on=day)
            services.record_payment(inv, amount=inv.total - Decimal("100.01"), **pay)
        elif roll < 0.76:
            services.record_payment(inv, amount=inv.total, **pay)
            back = (inv.total / 2) if die.random() < 0.5 else inv.total
            refunds.refund_invoice(inv, amount=back, paid_on=min(day + timedelta(3), YEAR_END))
        # else: left open
    with scopes_disabled():
        unpaid = list(Invoice.objects.filter(club=club, status="issued").order_by("number"))
        for inv in unpaid[::4]:
            day = inv.due_date + timedelta(days=14)
            if day <= YEAR_END:
                Reminder.objects.create(
                    club=club,
                    invoice=inv,
                    level=1,
                    run_date=day,
                    new_due_date=day + timedelta(days=14),
                    open_amount=services.open_amount(inv),
                    fee=Decimal("35.00"),
                    by_email=True,
                )
        with_fee = Invoice.objects.filter(club=club, reminders__fee__gt=0).order_by("number")
    services.credit_invoice(with_fee[0], on=with_fee[0].due_date + timedelta(days=20))
    for n in range(5):  # payments whose KID matched nothing
        services.record_payment(
            None,
            club=club,
            amount=Decimal("250.50") + n,
            method="ocr",
            paid_on=date(2026, 6, n + 1),
        )
    with scopes_disabled():
        placed = Payment.objects.filter(club=club, invoice__isnull=True).first()
        target = Invoice.objects.filter(club=club, status="issued").order_by("number").first()
        placed.invoice = target
        placed.assigned_at = timezone.make_aware(datetime.combine(date(2026, 7, 2), time(12)))
        placed.save()
    return invoices


def open_by_hand(club) -> Decimal:
    """What the payers owe, invoice by invoice, as the reminders reckon it (fees in)."""
    with scopes_disabled():
        return sum(
            (reminders.amount_owed(inv) for inv in Invoice.objects.filter(club=club)),
            Decimal("0"),
        )


def fees_owed(club) -> Decimal:
    with scopes_disabled():
        return sum(
            (
                reminders.reminder_fees(inv)
                for inv in Invoice.objects.filter(club=club)
                if inv.status != "credited"
            ),
            Decimal("0"),
        )


def test_seeded_year_reconciles_to_the_ore(club, tmp_path):
    seed_year(club)
    out = tmp_path / "year.csv"
    call_command(
        "export_accounting", str(out), club=club.slug, start="2026-01-01", end="31.12.2026"
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # Excel opens it as UTF-8
    rows = list(csv.reader(text.lstrip("\ufeff").splitlines(), delimiter=";"))
    sums = {row[6]: money(row[7]) for row in rows if row and row[0] == "Sum"}
    invoiced, credited = sums["Invoiced"], -sums["Credited"]
    paid, closing = -sums["Paid on invoices, net of refunds"], sums["Open at the end of the period"]
    fees = sums["Reminder fees, less fees withdrawn"]
    assert sums["Open at the start of the period"] == 0
    assert fees == fees_owed(club) > 0  # one invoice's fee went with its credit note
    assert invoiced - credited == paid + (closing - fees)  # the invoices alone
    assert invoiced + fees - credited == paid + closing  # with the reminder fees
    assert closing == open_by_hand(club)  # the same invoice by invoice
    assert sums["of which overpaid (owed back to payers)"] < 0
    # 250,50 … 254,50 received without a match; 254,50 of them placed on an invoice later
    assert sums["Payments not placed on an invoice (suspense)"] == Decimal("1008.00")
    # the documents listed add up to the same figures
    kinds = defaultdict(Decimal)
    for row in rows[1:]:
        if row and row[0] != "Sum":
            kinds[row[0]] += money(row[7])
    assert kinds["Invoice"] == invoiced and kinds["Credit note"] == -credited
    assert kinds["Reminder fee"] + kinds["Reminder fees withdrawn"] == fees
    assert kinds["Reminder fees withdrawn"] == Decimal("-35.00")
    assert kinds["Refund"] > 0 and "," in rows[1][7]  # decimal comma
    with scopes_disabled():
        invoice_rows = Invoice.objects.filter(club=club).count()
    assert sum(1 for row in rows if row and row[0] == "Invoice") == invoice_rows


def test_seeded_year_journal_balances_per_voucher_and_in_total(club, tmp_path):
    seed_year(club)
    out = tmp_path / "journal.csv"
    call_command(
        "export_accounting",
        str(out),
        club=club.slug,
        start="2026-01-01",
        end="2026-12-31",
        format="journal",
    )
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0] == ["Date", "Voucher", "Account", "Debit", "Credit", "Text", "KID"]
    per_voucher = defaultdict(Decimal)
    per_account = defaultdict(Decimal)
    for day, voucher, account, debit, credit, _text, _kid in rows[1:]:
        datetime.strptime(day, "%d.%m.%Y")
        per_voucher[voucher] += money(debit) - money(credit)
        per_account[account] += money(debit) - money(credit)
    assert per_voucher and all(v == 0 for v in per_voucher.values())
    assert sum(per_account.values()) == 0
    closing = open_by_hand(club)
    assert per_account["1500"] == closing  # receivables move by what is open
    assert per_account["2700"] < 0 and per_account["3100"] < 0 and per_account["3900"] < 0
    with scopes_disabled():
        unplaced = Payment.objects.filter(club=club, invoice__isnull=True)
        in_suspense = sum((p.amount for p in unplaced), Decimal("0"))
    assert per_account["2900"] == -in_suspense  # the placed one moved on to receivables
    assert per_account["8050"] == -fees_owed(club)
    assert {v[0] for v in per_voucher} == {"F", "K", "G", "W", "B", "R", "P"}


def test_a_period_inside_the_year_carries_the_opening_balance(club):
    seed_year(club)
    with scope(club=club):
        first = accounting.reconcile(club, YEAR_START, date(2026, 6, 30))
        second = accounting.reconcile(club, date(2026, 7, 1), YEAR_END)
        whole = accounting.reconcile(club, YEAR_START, YEAR_END)
        receivables = sum(
            (
                d - c
                for v in journal.vouchers(club, date(2026, 7, 1), YEAR_END)
                for acc, d, c in v.postings
                if acc == "1500"
            ),
            Decimal("0"),
        )
    assert first.balances and second.balances and whole.balances
    assert second.opening == first.closing and second.closing == whole.closing
    assert first.invoiced + second.invoiced == whole.invoiced
    assert first.paid + second.paid == whole.paid
    assert receivables == second.closing - second.opening


def test_xlsx_has_numbers_and_the_sums(club, tmp_path):
    seed_year(club)
    out = tmp_path / "year.xlsx"
    call_command(
        "export_accounting",
        str(out),
        club=club.slug,
        start="2026-01-01",
        end="2026-03-31",
        format="xlsx",
    )
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Kind" and isinstance(rows[1][7], (int, float))
    assert isinstance(rows[1][2], datetime)
    sums = {r[6]: r[7] for r in rows if r[0] == "Sum"}
    assert (
        abs(
            sums["Invoiced"]
            + sums["Reminder fees, less fees withdrawn"]
            + sums["Credited"]
            + sums["Paid on invoices, net of refunds"]
            - sums["Open at the end of the period"]
        )
        < 0.001
    )


def test_partial_credit_note_with_vat_is_shared_and_balanced():
    split = {"3900": Decimal("333.33"), "3100": Decimal("159.92"), "2700": Decimal("39.98")}
    total = sum(split.values())
    shared = journal.share(split, total, Decimal("100.01"))
    assert sum(shared.values()) == Decimal("100.01")
    assert journal.share(split, total, total) == split


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-02-01", "2026-01-01", "after its last day"),
        ("2026-13-01", "2026-12-31", "is not a date"),
        ("2010-01-01", "2026-12-31", "at most"),
    ],
)
def test_command_refuses_bad_periods(club, tmp_path, start, end, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "export_accounting", str(tmp_path / "x.csv"), club=club.slug, start=start, end=end
        )
    with pytest.raises(CommandError, match="No club"):
        call_command(
            "export_accounting", "x.csv", club="nope", start="2026-01-01", end="2026-01-02"
        )
