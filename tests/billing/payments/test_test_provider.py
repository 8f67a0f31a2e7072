"""Card payment through the built-in test provider and its own page, as a member clicks
it (R-BIL-8): paid → the invoice is paid and the payment recorded once; cancelled → the
invoice stays open with payment type PrePaid; nobody pays another person's invoice."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import services
from billing.models import CardPayment, InvoicePaymentMethod

from .conftest import PRICE, card_payments, payments, reload


def start(member) -> tuple[CardPayment, str]:
    """POST the pay page; return the new card payment and the page it sends us to."""
    response = member["client"].post(reverse("payments:pay", args=[member["invoice"].pk]))
    assert response.status_code == 302, response.content
    return card_payments(invoice=member["invoice"])[-1], response["Location"]


def decide(member, card: CardPayment, action: str, client: Client | None = None):
    """Click Pay or Cancel on the test provider's page."""
    return (client or member["client"]).post(
        reverse("payments:test_page", args=[card.token]),
        {"session": card.token, "action": action},
    )


def test_member_pays_and_the_invoice_is_paid(agnes):
    invoice = agnes["invoice"]
    page = agnes["client"].get(reverse("payments:pay", args=[invoice.pk]))
    assert page.status_code == 200
    assert "1\xa0250,00 kr" in page.content.decode()
    assert 'id="pay-by-card"' in page.content.decode()

    card, url = start(agnes)
    assert url == reverse("payments:test_page", args=[card.token])
    assert (card.status, card.amount, card.provider) == ("started", PRICE, "test")
    assert card.started_by == agnes["person"] and card.provider_reference.startswith("test_")

    provider_page = agnes["client"].get(url).content.decode()
    for text in ("Faktura IL", "1\xa0250,00 kr", f"Invoice {invoice.number}", "Pay", "Cancel"):
        assert text in provider_page

    response = decide(agnes, card, "pay")
    done_url = reverse("payments:done", args=[card.token])
    assert response.status_code == 302 and response["Location"] == f"http://testserver{done_url}"
    result = agnes["client"].get(done_url)
    assert "Payment received" in result.content.decode()
    assert reverse("minside:index") in result.content.decode()

    assert reload(invoice).status == "paid"
    [payment] = payments(invoice=invoice)
    assert (payment.amount, payment.method, payment.kind) == (PRICE, "card", "payment")
    assert (payment.provider, payment.reference) == ("test", card.provider_reference)
    assert (payment.paid_on, payment.kid) == (timezone.localdate(), invoice.kid)
    [card] = card_payments(pk=card.pk)
    assert (card.status, card.payment_id) == ("paid", payment.pk) and card.finished_at


def test_cancel_leaves_the_invoice_open_as_prepaid_and_it_can_be_paid_later(agnes):
    invoice = agnes["invoice"]
    card, _ = start(agnes)
    response = decide(agnes, card, "cancel")
    cancel_url = reverse("payments:cancelled", args=[card.token])
    assert response["Location"] == f"http://testserver{cancel_url}"
    response = agnes["client"].get(cancel_url)
    assert response["Location"] == reverse("payments:done", args=[card.token])
    result = agnes["client"].get(response["Location"]).content.decode()
    assert "Payment cancelled" in result and "still open" in result

    invoice = reload(invoice)
    assert (invoice.status, invoice.payment_method) == ("issued", InvoicePaymentMethod.PREPAID)
    assert card_payments(pk=card.pk)[0].status == "cancelled"
    assert payments(invoice=invoice) == []

    again, _ = start(agnes)  # a new session, not the cancelled one
    assert again.pk != card.pk
    decide(agnes, again, "pay")
    assert reload(invoice).status == "paid"
    assert len(payments(invoice=invoice)) == 1


def test_the_same_callback_twice_is_one_payment(agnes):
    card, _ = start(agnes)
    first, second = decide(agnes, card, "pay"), decide(agnes, card, "pay")
    assert first["Location"] == second["Location"]
    assert len(payments(invoice=agnes["invoice"])) == 1
    decide(agnes, card, "cancel")  # the first decision sticks
    assert card_payments(pk=card.pk)[0].status == "paid"
    assert reload(agnes["invoice"]).status == "paid"


def test_pay_twice_gives_the_same_page_while_it_works(agnes):
    first, url1 = start(agnes)
    second, url2 = start(agnes)
    assert first.pk == second.pk and url1 == url2
    with scopes_disabled():
        CardPayment.objects.filter(pk=first.pk).update(
            created_at=timezone.now() - timezone.timedelta(minutes=55)
        )
    third, url3 = start(agnes)  # too little time left on the old one
    assert third.pk != first.pk and url3 != url1


def test_another_persons_invoice_and_payment_are_404(members):
    agnes, brede = members["agnes"], members["brede"]
    url = reverse("payments:pay", args=[agnes["invoice"].pk])
    assert brede["client"].get(url).status_code == 404
    assert brede["client"].post(url).status_code == 404
    assert card_payments() == []

    card, _ = start(agnes)
    for name in ("payments:done", "payments:cancelled"):
        assert brede["client"].get(reverse(name, args=[card.token])).status_code == 404
    assert card_payments(pk=card.pk)[0].status == "started"


def test_logged_out_and_persons_without_login_person(agnes, django_user_model):
    url = reverse("payments:pay", args=[agnes["invoice"].pk])
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    nobody = django_user_model.objects.create_user("ingen@example.no", "pw-123456789")
    client = Client()
    client.force_login(nobody)
    assert client.get(url).status_code == 404


def test_club_without_card_payment_is_refused(agnes, card_club):
    card_club.accepts_card = False
    card_club.save()
    url = reverse("payments:pay", args=[agnes["invoice"].pk])
    page = agnes["client"].get(url).content.decode()
    assert "does not take card payments" in page and 'id="pay-by-card"' not in page
    response = agnes["client"].post(url)
    assert (
        response.status_code == 400 and "does not take card payments" in response.content.decode()
    )
    assert card_payments() == []


def test_paid_and_credited_invoices_are_refused(members, card_club):
    paid, credited = members["agnes"], members["brede"]
    services.record_payment(
        paid["invoice"],
        club=card_club,
        amount=PRICE,
        method="manual",
        paid_on=timezone.localdate(),
    )
    services.credit_invoice(credited["invoice"])
    for member, message in ((paid, "paid already"), (credited, "credited")):
        url = reverse("payments:pay", args=[member["invoice"].pk])
        assert message in member["client"].get(url).content.decode()
        response = member["client"].post(url)
        assert response.status_code == 400 and message in response.content.decode()
    assert card_payments() == []


def test_a_partly_credited_invoice_is_paid_for_what_is_open(agnes):
    services.credit_invoice(agnes["invoice"], amount=Decimal("250.00"))
    card, _ = start(agnes)
    assert card.amount == Decimal("1000.00")
    decide(agnes, card, "pay")
    assert [p.amount for p in payments(invoice=agnes["invoice"])] == [Decimal("1000.00")]
    assert reload(agnes["invoice"]).status == "paid"


def test_the_test_page_needs_csrf_a_live_session_and_the_test_provider(agnes, settings):
    card, url = start(agnes)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(url, {"session": card.token, "action": "pay"})
    assert response.status_code == 403
    assert strict.get(url).status_code == 200  # the page itself needs no login
    unknown = reverse("payments:test_page", args=["no-such-token"])
    assert strict.get(unknown).status_code == 404
    assert "expired" in strict.get(unknown).content.decode()
    response = decide(agnes, card, "steal")
    assert response.status_code == 400
    assert card_payments(pk=card.pk)[0].status == "started" and payments() == []
    assert agnes["client"].post(reverse("payments:webhook", args=["test"])).status_code == 404
    settings.PAYMENT_PROVIDER = "stripe"
    assert strict.get(url).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_pay_page_takes_get_and_post_only(agnes, method):
    url = reverse("payments:pay", args=[agnes["invoice"].pk])
    assert getattr(agnes["client"], method)(url).status_code == 405
