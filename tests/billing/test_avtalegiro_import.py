"""Mandates from the migration extract's Betalingsmåte (R-BIL-7, issue 8 point 1): the
person who pays gets an active migrated mandate; the same file again makes none twice;
the rollback takes the mandates with the persons."""

from datetime import date

from django_scopes import scope, scopes_disabled

from billing.models import AvtaleGiroMandate
from members.models import Person
from migration import services as migration_services

HEAD = (
    "Medlemsnr;Fornavn;Etternavn;Fødselsdato;Personnummer;Kjønn;E-post;Mobil;Adresse;"
    "Postnr;Poststed;Foresatt navn;Foresatt e-post;Foresatt mobil;Medlemskategori;Parti;"
    "Betalingsmåte;Neste fakturadato;Innmeldt\n"
)
MEMBERS = HEAD + (
    "1;Kari;Berg;05.05.1980;;Kvinne;kari@example.no;;Gata 1;0150;Oslo;;;;Ordinær;;"
    "AvtaleGiro;01.09.2026;01.01.2020\n"
    "2;Lise;Ny;06.06.1981;;Kvinne;lise@example.no;;Gata 2;0150;Oslo;;;;Ordinær;;"
    "Faktura;01.10.2026;01.01.2021\n"
    "3;Ola;Sand;03.03.2016;;Gutt;;;Gata 3;0150;Oslo;Per Sand;per@example.no;;Barn;;"
    "AvtaleGiro;01.09.2026;01.01.2022\n"
)


def mandates(club):
    with scopes_disabled():
        return {
            (m.payer.first_name, m.source, m.notify_by_bank, m.status)
            for m in AvtaleGiroMandate.objects.filter(club=club).select_related("payer")
        }


def test_import_makes_mandates_for_the_payers(club):
    with scope(club=club):
        batch, _lines = migration_services.import_now(club, [("members.csv", MEMBERS.encode())])
    # the child's guardian pays, so the guardian has the mandate
    assert mandates(club) == {
        ("Kari", "migrated", True, "active"),
        ("Per", "migrated", True, "active"),
    }
    with scope(club=club):
        migration_services.import_now(club, [("members.csv", MEMBERS.encode())])
    with scopes_disabled():
        assert AvtaleGiroMandate.objects.filter(club=club).count() == 2
        kari = Person.objects.get(first_name="Kari", birth_date=date(1980, 5, 5))
        assert AvtaleGiroMandate.objects.get(payer=kari).kid.startswith("9")


def test_rollback_removes_the_migrated_mandates(club):
    with scope(club=club):
        batch, _lines = migration_services.import_now(club, [("members.csv", MEMBERS.encode())])
        assert len(mandates(club)) == 2
        migration_services.rollback_batch(batch, user=None)
    assert mandates(club) == set()


def test_the_run_gives_billing_the_members_its_avtalegiro_rows_name(club, monkeypatch):
    """The import hands billing the persons of its AvtaleGiro rows from memory
    (``mandates_for_members``) instead of reading the rows back: exactly those whose
    row has a person — new, matched or merged — and AvtaleGiro, and no others."""
    handed = []
    real = migration_services.billing_avtalegiro.mandates_for_members

    def spy(club, members):
        handed.append(set(members))
        return real(club, members)

    monkeypatch.setattr(migration_services.billing_avtalegiro, "mandates_for_members", spy)
    again = (
        "4;Kari;Berg;05.05.1980;;Kvinne;kari@example.no;;Gata 1;0150;Oslo;;;;Ordinær;;"
        "AvtaleGiro;;\n"  # the same person again: merged
        "5;Uten;Fødselsdato;;;;;;;;;;;;;;AvtaleGiro;;\n"  # rejected: no person
        "6;Mia;Sand;03.03.2016;;Jente;;;;;;;;;Barn;;avtalegiro;;\n"
    )
    with scope(club=club):
        batch, _lines = migration_services.import_now(
            club, [("members.csv", (MEMBERS + again).encode())]
        )
    with scopes_disabled():
        rows = batch.rows.filter(
            sheet="members",
            outcome__in=("new", "matched", "merged"),
            person__isnull=False,
            values__payment_method="avtalegiro",
        )
        expected = set(rows.values_list("person_id", flat=True))
        names = set(Person.objects.filter(pk__in=expected).values_list("first_name", flat=True))
    assert handed == [expected]
    assert names == {"Kari", "Ola", "Mia"}
