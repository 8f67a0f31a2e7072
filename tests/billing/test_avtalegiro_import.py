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
