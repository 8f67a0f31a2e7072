"""Preview before a run (R-BIL-11): who will be billed, how much, by which method, with
anomalies; it writes nothing and matches the run that follows."""

from decimal import Decimal

from django_scopes import scopes_disabled

from billing import avtalegiro, services
from billing.models import Agreement, Invoice, InvoiceRun

from .conftest import RUN_DATE, make_fee, make_member


def test_preview_shows_what_the_run_makes_and_writes_nothing(club):
    fee = make_fee(
        club,
        price="800.00",
        rules=[{"kind": "age_band", "min_age": 0, "max_age": 5, "amount": Decimal("0")}],
    )
    parent = make_member(club, "Forelder").person
    make_member(club, "Barn", guardian=parent, birth=RUN_DATE.replace(year=2023), fee=fee)
    make_member(club, "Eldre", guardian=parent, birth=RUN_DATE.replace(year=2014), fee=fee)
    uten = make_member(club, "Uten", fee=fee, address="")
    with scopes_disabled():  # the payer pays by AvtaleGiro (R-BIL-7)
        avtalegiro.register_mandate(club, uten.person, source="admin")
        assert Agreement.objects.get(person=uten.person).payment_method == "avtalegiro"

    rows = services.preview_run(club, RUN_DATE)
    with scopes_disabled():
        assert not Invoice.objects.filter(club=club).exists()
        assert not InvoiceRun.objects.filter(club=club).exists()
        agreements = Agreement.objects.filter(club=club)  # the demo clubs have their own
        assert set(agreements.values_list("next_billing_date", flat=True)) == {RUN_DATE}
    by_payer = {row.payer.first_name: row for row in rows}
    assert {name: (row.total, row.payment_method) for name, row in by_payer.items()} == {
        "Forelder": (Decimal("800.00"), "invoice"),
        "Uten": (Decimal("800.00"), "avtalegiro"),
    }
    assert by_payer["Uten"].anomalies == ["No postal address"]
    assert by_payer["Forelder"].anomalies == []

    services.run_invoices(club, RUN_DATE)
    with scopes_disabled():
        made = {
            inv.recipient_name.split()[0]: (inv.total, inv.payment_method, inv.lines.count())
            for inv in Invoice.objects.filter(club=club)
        }
    assert made == {
        name: (row.total, row.payment_method, len(row.lines)) for name, row in by_payer.items()
    }
    assert services.preview_run(club, RUN_DATE) == []


def test_preview_flags_zero_amount_and_no_email(club):
    fee = make_fee(club, price="0.00")
    membership = make_member(club, "Gratis", fee=fee)
    with scopes_disabled():
        membership.person.email = ""
        membership.person.save()
    (row,) = services.preview_run(club, RUN_DATE)
    assert row.anomalies == ["Amount is 0", "No e-mail: by post"]
