"""The import rollback and billing: agreements the import made for its members (matched
rows are active at once, R-BIL-2) go with the rollback while they billed nothing; once
an invoice run billed them the rollback is refused, saying how many invoices exist, and
nothing is removed (invoices are never deleted)."""

import pytest
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from billing import services as billing_services
from billing.models import Agreement, Fee, Invoice
from members import services as member_services
from members.models import Membership, MembershipCategory, Person
from migration import services
from migration.models import ImportBatch

pytestmark = pytest.mark.django_db

MEMBERS = (
    "Medlemsnr;Fornavn;Etternavn;Fødselsdato;E-post;Medlemskategori;Neste fakturadato\n"
    "1;Kari;Berg;05.05.1980;kari@example.no;Ordinær;{due}\n"
    "2;Ny;Person;06.06.1981;ny@example.no;Ordinær;{due}\n"
    "3;Olav;Guttorm;07.07.1982;olav@example.no;Ordinær;{due}\n"
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def club(db):
    club = member_services.create_club("rull-il", "Rull IL")
    with scopes_disabled():
        category = MembershipCategory.objects.create(club=club, name="Ordinær")
        Fee.objects.create(
            club=club,
            name="Kontingent",
            kind="membership",
            category=category,
            price="800",
            period="year",
        )
    return club


@pytest.fixture
def batch(club):
    """Kari and Olav are in the registry already (matched: active, with an agreement);
    the other row is new (pending, no agreement)."""
    with scopes_disabled():
        for first, last, born in (
            ("Kari", "Berg", "1980-05-05"),
            ("Olav", "Guttorm", "1982-07-07"),
        ):
            member_services.create_person(first_name=first, last_name=last, birth_date=born)
    due = timezone.localdate().strftime("%d.%m.%Y")
    with scope(club=club):
        batch, _lines = services.import_now(
            club, [("members.csv", MEMBERS.format(due=due).encode())]
        )
    with scopes_disabled():
        assert Agreement.objects.filter(club=club).count() == 2
    return batch


def test_agreements_that_billed_nothing_go_with_the_rollback(club, batch):
    with scope(club=club):
        assert services.rollback_blockers(batch) == []
        services.rollback_batch(batch, user=None)
    with scopes_disabled():
        assert not Agreement.objects.filter(club=club).exists()
        assert not Membership.objects.filter(club=club).exists()
        assert not Person.objects.filter(first_name="Ny").exists()
        assert Person.objects.filter(first_name="Kari").exists()  # the registry's own


def test_a_billed_import_is_not_rolled_back_and_says_how_many_invoices(club, batch):
    run = billing_services.run_invoices(club, timezone.localdate())
    assert run.invoices == 2
    with scope(club=club):
        reasons = services.rollback_blockers(batch)
        assert any("2 invoices exist" in r for r in reasons), reasons
        with pytest.raises(services.MigrationError, match="2 invoices exist"):
            services.rollback_batch(batch, user=None)
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.DONE
    with scopes_disabled():
        assert Agreement.objects.filter(club=club).count() == 2
        assert Membership.objects.filter(club=club).count() == 3
        assert Invoice.objects.filter(club=club).count() == 2


def test_one_invoice_is_named_in_the_singular(club, batch):
    with scopes_disabled():
        Agreement.objects.filter(person__first_name="Olav").delete()
    billing_services.run_invoices(club, timezone.localdate())
    with scope(club=club):
        (reason,) = [r for r in services.rollback_blockers(batch) if "invoice" in r]
    assert "1 invoice exists" in reason
