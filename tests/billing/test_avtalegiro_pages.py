"""AvtaleGiro pages (R-BIL-7, R-ACT-6, issue 8): the mandates list, register and cancel
from the member card after a confirmation, the claim files with the write button (a
second click writes nothing), the claims of a file, the download; another club's admin
gets 404; Min side shows a person their own AvtaleGiro only."""

import netsgiro
import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import avtalegiro, services
from billing.avtalegiro.claims import ENCODING
from billing.models import AvtaleGiroMandate, ClaimFile

from .conftest import make_club, make_fee, make_member
from .pages import fresh, log_in_admin
from .test_avtalegiro import nets_ready
from .test_min_side import login_for

pytestmark = pytest.mark.django_db


def ag_url(name, club, *args):
    return reverse(f"avtalegiro:{name}", args=[club.slug, *args])


@pytest.fixture
def billed(club):
    """Kari pays by AvtaleGiro and has an invoice made today; Per pays by invoice."""
    today = timezone.localdate()
    fee = make_fee(club, price="700.00")
    kari = make_member(club, "Kari", fee=fee, next_billing_date=today)
    per = make_member(club, "Per", fee=fee, next_billing_date=today)
    avtalegiro.register_mandate(club, kari.person, source="admin", notify_by_bank=False)
    services.run_invoices(club, today, queue_pdfs=False)
    return {"kari": kari, "per": per}


def test_register_and_cancel_from_the_member_card(client, club, billed):
    log_in_admin(client, club)
    per = billed["per"]
    card = client.get(reverse("members:card", args=[club.slug, per.pk])).content.decode()
    assert ag_url("register", club, per.pk) in card
    page = client.get(ag_url("register", club, per.pk))
    assert page.status_code == 200
    assert avtalegiro.mandate_kid(club, per.person) in page.content.decode()
    response = client.post(ag_url("register", club, per.pk), {"notify_by_bank": "on"})
    assert response.status_code == 302
    mandate = avtalegiro.active_mandate(club, per.person)
    assert mandate.notify_by_bank and mandate.source == "admin"
    # a second submit registers nothing twice
    client.post(ag_url("register", club, per.pk), {"notify_by_bank": "on"})
    with scopes_disabled():
        assert AvtaleGiroMandate.objects.filter(payer=per.person).count() == 1
    listing = client.get(ag_url("mandates", club)).content.decode()
    assert mandate.kid in listing and "Kari" in listing
    assert client.get(ag_url("cancel", club, mandate.pk)).status_code == 200
    client.post(ag_url("cancel", club, mandate.pk))
    assert fresh(mandate).status == "cancelled"


def test_write_claim_file_once_and_download(client, club, billed):
    log_in_admin(client, club)
    files = client.get(ag_url("files", club)).content.decode()
    assert "Nets customer number" in files  # no Nets ids yet: no button
    nets_ready(club)
    today = timezone.localdate().strftime("%d.%m.%Y")
    response = client.post(ag_url("write", club), {"on_date": today}, follow=True)
    with scopes_disabled():
        claim_file = ClaimFile.objects.get(club=club)
    assert response.redirect_chain[-1][0] == ag_url("file", club, claim_file.pk)
    page = response.content.decode()
    assert avtalegiro.mandate_kid(club, billed["kari"].person) in page
    assert "by e-mail" in page  # the club notified Kari: her bank does not
    again = client.post(ag_url("write", club), {"on_date": today}, follow=True)
    assert "Nothing to claim" in again.content.decode()
    with scopes_disabled():
        assert ClaimFile.objects.filter(club=club).count() == 1
    download = client.get(ag_url("download", club, claim_file.pk))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content).decode(ENCODING)
    (assignment,) = netsgiro.parse(body).assignments
    assert [t.amount_in_cents for t in assignment.transactions] == [70000]


def test_another_clubs_admin_gets_404(client, club, billed):
    nets_ready(club)
    avtalegiro.write_claims(club, timezone.localdate())
    other = make_club("annen-il")
    log_in_admin(client, other, "annen@example.no")
    mandate = avtalegiro.active_mandate(club, billed["kari"].person)
    with scopes_disabled():
        claim_file = ClaimFile.objects.get(club=club)
    for name, args in [
        ("register", [billed["per"].pk]),
        ("cancel", [mandate.pk]),
        ("file", [claim_file.pk]),
        ("download", [claim_file.pk]),
    ]:
        assert client.get(ag_url(name, other, *args)).status_code == 404, name
        assert client.post(ag_url(name, other, *args)).status_code == 404, name
    assert "Kari" not in client.get(ag_url("mandates", other)).content.decode()
    assert fresh(mandate).status == "active"


def test_min_side_shows_own_avtalegiro_only(client, club, billed):
    club.accepts_avtalegiro = True
    with scopes_disabled():
        club.save()
    kari, per = billed["kari"].person, billed["per"].person
    client.force_login(login_for(per, "per@example.no"))
    response = client.get(reverse("minside:index"))
    panels = {p.key: ctx for p, ctx in response.context["own"]["panels"]}
    (row,) = panels["avtalegiro"]["rows"]
    assert not row["active"] and row["kid"] == avtalegiro.mandate_kid(club, per)
    page = response.content.decode()
    assert avtalegiro.mandate_kid(club, kari) not in page
    assert "1234.56.78903" in page
    client.force_login(login_for(kari, "kari@example.no"))
    panels = {
        p.key: ctx for p, ctx in client.get(reverse("minside:index")).context["own"]["panels"]
    }
    (row,) = panels["avtalegiro"]["rows"]
    assert row["active"] and row["kid"] == avtalegiro.mandate_kid(club, kari)
