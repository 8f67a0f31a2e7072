"""Min side's billing (R-ACT-6, R-SEC-1): a member sees the invoices they receive, with
PDFs, "Pay by card" where the club takes cards, and their own and their children's
agreements, which they may cancel; nobody else's, by any id."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import services
from billing.models import Agreement, Fee, Invoice
from members.services import add_membership, get_or_create_user

from .conftest import make_club, make_fee, make_member
from .pages import fresh

pytestmark = pytest.mark.django_db

INDEX = reverse("minside:index")


def invoice_pdf(invoice) -> str:
    return reverse("minside_billing:invoice_pdf", args=[invoice.pk])


def note_pdf(note) -> str:
    return reverse("minside_billing:credit_note_pdf", args=[note.pk])


def cancel(agreement) -> str:
    return reverse("minside_billing:cancel_agreement", args=[agreement.pk])


def pay_url(invoice) -> str | None:
    try:
        return reverse("payments:pay", args=[invoice.pk])
    except NoReverseMatch:  # the payment pages are not there: no button either
        return None


def login_for(person, email):
    with scopes_disabled():
        user = get_or_create_user(email, "pw-123456789")
        user.person = person
        user.save()
    return user


@pytest.fixture
def family(club):
    """A parent with a login and a child (training fee, billed to the parent), and a
    neighbour with a login and an invoice of their own."""
    today = timezone.localdate()
    membership_fee = make_fee(club, name="Kontingent", price="500.00")
    training = make_fee(club, name="Trening", price="1200.00")
    with scopes_disabled():
        Fee.objects.filter(pk=training.pk).update(kind=Fee.Kind.TRAINING, category=None)
    parent = make_member(club, "Mor", fee=membership_fee, next_billing_date=today)
    child = make_member(
        club,
        "Ola",
        birth=date(2016, 4, 1),
        guardian=parent.person,
        fee=training,
        next_billing_date=today,
    )
    neighbour = make_member(club, "Nabo", last="Berg", fee=membership_fee, next_billing_date=today)
    services.run_invoices(club, today)
    with scopes_disabled():
        invoices = {i.recipient.first_name: i for i in Invoice.objects.filter(club=club)}
        agreements = {a.person.first_name: a for a in Agreement.objects.filter(club=club)}
    return {
        "parent": parent.person,
        "child": child.person,
        "neighbour": neighbour.person,
        "user": login_for(parent.person, "mor@example.no"),
        "other_user": login_for(neighbour.person, "nabo@example.no"),
        "invoices": invoices,
        "agreements": agreements,
    }


def test_invoices_and_agreements_on_min_side(client, club, family):
    client.force_login(family["user"])
    response = client.get(INDEX)
    page = response.content.decode()
    own = family["invoices"]["Mor"]
    assert own.total == Decimal("1700.00")  # the parent's fee and the child's training
    assert invoice_pdf(own) in page
    assert invoice_pdf(family["invoices"]["Nabo"]) not in page
    assert "1\xa0700,00 kr" in page
    own_panels = {p.key: ctx for p, ctx in response.context["own"]["panels"]}
    child_panels = {p.key: ctx for p, ctx in response.context["children"][0]["panels"]}
    # the child's section shows the parent's invoice that bills the child
    assert [i.pk for i in child_panels["invoices"]["invoices"]] == [own.pk]
    assert [a.fee.name for a in own_panels["agreements"]["agreements"]] == ["Kontingent"]
    assert [a.fee.name for a in child_panels["agreements"]["agreements"]] == ["Trening"]
    # the membership fee ends with the membership; training can be cancelled
    assert cancel(family["agreements"]["Mor"]) not in page
    assert cancel(family["agreements"]["Ola"]) in page


def test_pay_by_card_only_where_the_club_takes_cards_and_the_invoice_is_open(client, club, family):
    own = family["invoices"]["Mor"]
    client.force_login(family["user"])
    assert "Pay by card" not in client.get(INDEX).content.decode()
    with scopes_disabled():
        club.accepts_card = True
        club.save()
    link = pay_url(own)
    page = client.get(INDEX).content.decode()
    if link:
        assert link in page and "Pay by card" in page
    services.record_payment(
        own, club=club, amount=own.total, method="manual", paid_on=timezone.localdate()
    )
    assert "Pay by card" not in client.get(INDEX).content.decode()


def test_pdfs_of_own_invoices_and_credit_notes_only(client, club, family):
    own, other = family["invoices"]["Mor"], family["invoices"]["Nabo"]
    client.force_login(family["user"])
    response = client.get(invoice_pdf(own))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(invoice_pdf(other)).status_code == 404
    own_note = services.credit_invoice(own, amount=Decimal("100"))
    other_note = services.credit_invoice(other, amount=Decimal("100"))
    assert client.get(note_pdf(own_note)).status_code == 200
    assert client.get(note_pdf(other_note)).status_code == 404
    assert note_pdf(own_note) in client.get(INDEX).content.decode()


def test_cancel_a_childs_training_after_confirmation(client, club, family):
    training = family["agreements"]["Ola"]
    client.force_login(family["user"])
    page = client.get(cancel(training))
    assert page.status_code == 200
    assert "Do you want to cancel “Trening” for Ola Hansen" in page.content.decode()
    assert not fresh(training).is_cancelled
    response = client.post(cancel(training))
    assert response.status_code == 302
    training = fresh(training)
    assert training.is_cancelled and training.ends_on == timezone.localdate()
    assert training.cancelled_by == family["user"]
    again = client.post(cancel(training), follow=True)
    assert "cancelled already" in again.content.decode()


def test_the_membership_fee_is_not_cancelled_here(client, club, family):
    fee_agreement = family["agreements"]["Mor"]
    client.force_login(family["user"])
    response = client.post(cancel(fee_agreement), follow=True)
    assert "cancel the membership instead" in response.content.decode()
    assert not fresh(fee_agreement).is_cancelled


def test_nobody_elses_ids(client, club, family):
    """Another member's invoice, credit note and agreement are 404, GET and POST."""
    client.force_login(family["other_user"])
    mine = family["invoices"]["Mor"]
    note = services.credit_invoice(mine, amount=Decimal("1"))
    for address in (invoice_pdf(mine), note_pdf(note), cancel(family["agreements"]["Ola"])):
        assert client.get(address).status_code == 404, address
        assert client.post(address).status_code == 404, address
    assert not fresh(family["agreements"]["Ola"]).is_cancelled


def test_a_person_in_another_club_sees_only_their_own(client, family):
    other_club = make_club("annen-il")
    fee = make_fee(other_club, name="Kontingent", price="300.00")
    with scopes_disabled():
        add_membership(other_club, family["parent"], source="admin", category=fee.category)
        services.create_agreement(
            family["parent"].memberships.get(club=other_club),
            fee,
            source="admin",
            next_billing_date=timezone.localdate(),
        )
    services.run_invoices(other_club, timezone.localdate())
    client.force_login(family["user"])
    page = client.get(INDEX).content.decode()
    with scopes_disabled():
        theirs = Invoice.objects.get(club=other_club)
    assert invoice_pdf(theirs) in page  # Min side spans the person's clubs


def test_anonymous_and_logins_without_a_person(client, family, django_user_model):
    mine = family["invoices"]["Mor"]
    response = client.get(invoice_pdf(mine))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    bare = django_user_model.objects.create_user("bare@example.no", "pw-123456789")
    client.force_login(bare)
    assert client.get(invoice_pdf(mine)).status_code == 200  # the "no person" page
    assert b"%PDF" not in client.get(invoice_pdf(mine)).content
