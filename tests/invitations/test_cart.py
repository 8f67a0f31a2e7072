"""The cart and the three club-setting branches (R-REG-7): memberships and groups priced
by the billing price rules for the person, one membership in the cart, and the one
button the club's settings give — send for approval (i), activate with the first invoice
on the next billing day (ii), or pay by card at once (iii), where a cancelled payment
still leaves an active member and the invoice e-mailed as PrePaid. The invitation ends
registered, the membership says it came from an invitation, a receipt says what
happened."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing.models import Agreement, CardPayment, Invoice, InvoicePaymentMethod
from comms.models import OutboundMessage
from invitations.models import Invitation, Registration
from members.models import GroupMember, Membership

from .cart_helpers import (
    CHILD_PRICE,
    CLASS_FEE,
    ORDINARY,
    add,
    adult,
    checkout,
    choose,
    invite_user,
    make_club,
    register,
    url,
    version,
)
from .outbox import messages_to, needs_optional_recipient

pytestmark = needs_optional_recipient

JOIN_DAY = date(2026, 11, 19)


@pytest.fixture(autouse=True)
def _on_join_day():
    with time_machine.travel(JOIN_DAY, tick=False):
        yield


@pytest.fixture
def kari(db, unscoped):
    return adult()


def _membership(club, person) -> Membership:
    with scopes_disabled():
        return Membership.objects.select_related("category").get(club=club, person=person)


def _agreements(membership):
    with scopes_disabled():
        return list(Agreement.objects.filter(membership=membership).select_related("fee"))


def test_the_shop_prices_by_the_rules_for_the_person(client, kari):
    shop = make_club(billing_day=15)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    assert choose(client, code)["Location"] == url("shop", code)
    html = client.get(url("shop", code)).content.decode()
    assert "Ordinær" in html and "Støttemedlem" in html and "Gammel" not in html
    assert "1\xa0200,00 kr" in html and '"price">200,00 kr' in html  # an adult: full price
    assert "Håndball G10" in html and "Lukket parti" not in html
    assert "2 places left" in html
    add(client, code, category=shop.ordinary)
    add(client, code, group=shop.group)
    html = client.get(url("shop", code)).content.decode()
    assert "Cart: 2 items" in html and "1\xa0650,00 kr" in html
    # a second membership replaces the first
    add(client, code, category=shop.support)
    page = client.get(url("cart", code)).content.decode()
    assert "Støttemedlem" in page and "Medlemskontingent" not in page
    assert 'id="cart-total">650,00 kr' in page


def test_i_approval_required_sends_for_approval_and_bills_nothing(client, kari):
    shop = make_club(approval=True, billing_day=15)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    page = client.get(url("cart", code)).content.decode()
    assert page.count('name="action" value="checkout"') == 1
    assert "Send for approval" in page and "Activate membership" not in page
    response = checkout(client, code)
    registration = Registration.objects.get()
    assert response["Location"] == url("receipt", code, registration_id=registration.pk)
    membership = _membership(shop.club, kari.person)
    assert membership.status == Membership.Status.SENT_FOR_APPROVAL
    assert membership.source == Membership.Source.INVITED
    assert membership.category == shop.ordinary
    assert _agreements(membership) == []  # billing starts on approval
    with scopes_disabled():
        assert not Invoice.objects.filter(club=shop.club).exists()
    html = client.get(response["Location"]).content.decode()
    assert "Sent for approval" in html and "Nothing is invoiced" in html
    assert reverse("minside:index") in html
    invitation = registration.invitation
    invitation.refresh_from_db()
    assert invitation.status == "registered" and invitation.registered_at is not None
    receipt = [m for m in messages_to("kari@example.no") if "request" in m.subject]
    assert len(receipt) == 1 and "Nothing is invoiced" in receipt[0].body_text


def test_ii_billing_day_activates_and_invoices_on_the_next_15th(client, kari):
    shop = make_club(billing_day=15)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    add(client, code, group=shop.group)
    page = client.get(url("cart", code)).content.decode()
    assert "Activate membership" in page and "Send for approval" not in page
    assert "The first invoice comes on 15.12.2026." in page
    response = checkout(client, code)
    membership = _membership(shop.club, kari.person)
    assert membership.status == Membership.Status.ACTIVE
    assert membership.source == Membership.Source.INVITED
    agreements = _agreements(membership)
    assert {a.fee.name for a in agreements} == {"Medlemskontingent", "Partiavgift G10"}
    assert {a.next_billing_date for a in agreements} == {date(2026, 12, 15)}
    with scopes_disabled():
        assert GroupMember.objects.filter(membership=membership, group=shop.group).exists()
        assert not Invoice.objects.filter(club=shop.club).exists()
    registration = Registration.objects.get()
    assert registration.first_invoice_date == date(2026, 12, 15)
    assert registration.total == ORDINARY + CLASS_FEE
    html = client.get(response["Location"]).content.decode()
    assert "is now an active member" in html and "The first invoice comes on 15.12.2026." in html
    assert "1\xa0650,00 kr" in html and "Håndball G10" in html


def _pay_page(client, code) -> str:
    response = checkout(client, code)
    assert response.status_code == 302 and "/betaling/test/" in response["Location"]
    return response["Location"]


def test_iii_pay_now_bills_at_once_and_the_card_payment_pays_it(client, kari):
    shop = make_club(billing_day=0, card=True)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    page = client.get(url("cart", code)).content.decode()
    assert "Pay now (1\xa0200,00 kr)" in page
    pay_page = _pay_page(client, code)
    with scopes_disabled():
        invoice = Invoice.objects.get(club=shop.club)
    assert invoice.recipient == kari.person and invoice.total == ORDINARY
    assert invoice.issue_date == JOIN_DAY and invoice.run is None
    assert invoice.payment_method == InvoicePaymentMethod.CARD
    membership = _membership(shop.club, kari.person)
    assert membership.status == Membership.Status.ACTIVE
    (agreement,) = _agreements(membership)
    assert agreement.next_billing_date == date(2027, 11, 19)  # the first year is billed
    token = pay_page.rstrip("/").rsplit("/", 1)[1]
    back = client.post(pay_page, {"session": token, "action": "pay"})
    assert "/kvittering/" in back["Location"] and "/betalt/" in back["Location"]
    receipt = client.get(back["Location"], follow=True)
    html = receipt.content.decode()
    assert 'data-payment="paid"' in html and f"Invoice {invoice.number} is paid." in html
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert not [m for m in messages_to("kari@example.no") if m.attachments.exists()]


def test_iii_a_cancelled_payment_leaves_an_active_member_and_emails_the_invoice(
    client, kari, django_capture_on_commit_callbacks
):
    shop = make_club(billing_day=0, card=True)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    pay_page = _pay_page(client, code)
    token = pay_page.rstrip("/").rsplit("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):  # the invoice's PDF and e-mail
        back = client.post(pay_page, {"session": token, "action": "cancel"})
    assert "/avbrutt/" in back["Location"]
    html = client.get(back["Location"], follow=True).content.decode()
    assert 'data-payment="cancelled"' in html and "pay it by card here or later" in html
    assert 'id="pay-now"' in html  # pay later from the receipt
    assert _membership(shop.club, kari.person).status == Membership.Status.ACTIVE
    with scopes_disabled():
        invoice = Invoice.objects.get(club=shop.club)
        card = CardPayment.objects.get(invoice=invoice)
    assert card.status == CardPayment.Status.CANCELLED
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.payment_method == InvoicePaymentMethod.PREPAID
    assert invoice.sent_at is not None
    with_pdf = [m for m in messages_to("kari@example.no") if m.attachments.exists()]
    assert len(with_pdf) == 1 and str(invoice.number) in with_pdf[0].subject
    # paying later from the receipt goes back to the provider
    again = client.post(url("receipt", code, registration_id=Registration.objects.get().pk))
    assert "/betaling/test/" in again["Location"]


def test_iii_without_card_payments_the_invoice_is_emailed_at_once(
    client, kari, django_capture_on_commit_callbacks
):
    shop = make_club(billing_day=0, card=False)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout(client, code)
    assert "/kvittering/" in response["Location"]
    with scopes_disabled():
        invoice = Invoice.objects.get(club=shop.club)
    assert invoice.payment_method == InvoicePaymentMethod.INVOICE and invoice.sent_at
    html = client.get(response["Location"]).content.decode()
    assert "The invoice is sent by e-mail." in html


def test_a_child_is_priced_as_a_child_and_a_sibling_gets_the_family_discount(client, kari):
    shop = make_club(billing_day=15)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    for first, born in (("Ola", "03.04.2016"), ("Per", "05.06.2018")):
        assert choose(client, code, "new_child")["Location"] == url("child", code)
        client.post(
            url("child", code),
            {
                "has_national_id": "no",
                "first_name": first,
                "last_name": "Nordmann",
                "birth_date": born,
                "gender": "male",
            },
        )
        html = client.get(url("shop", code)).content.decode()
        expected = "600,00 kr" if first == "Ola" else "300,00 kr"
        assert expected in html, first
        add(client, code, category=shop.ordinary)
        checkout(client, code)
    with scopes_disabled():
        ola, per = (
            Membership.objects.filter(club=shop.club, person__first_name=n).get()
            for n in ("Ola", "Per")
        )
        assert ola.household_id == per.household_id is not None
        assert ola.household.payer == kari.person
        assert {a.payer for a in _agreements(ola) + _agreements(per)} == {kari.person}
    totals = dict(Registration.objects.values_list("person__first_name", "total"))
    assert totals == {"Ola": CHILD_PRICE, "Per": CHILD_PRICE / 2}


def test_the_cart_needs_a_membership_and_drops_what_closed(client, kari):
    shop = make_club(billing_day=15)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, group=shop.group)
    page = client.get(url("cart", code)).content.decode()
    assert "Choose a membership first." in page and 'value="checkout"' not in page
    add(client, code, category=shop.support)
    seen = version(client, code)
    shop.support.is_active = False
    shop.support.save()
    response = client.post(url("cart", code), {"action": "checkout", "version": seen})
    assert response.status_code == 400
    assert "no longer open for new members" in response.content.decode()
    assert not Membership.objects.filter(person=kari.person).exists()


def test_a_full_group_cannot_be_put_in_the_cart(client, kari):
    shop = make_club(billing_day=15, capacity=0)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    html = client.get(url("shop", code)).content.decode()
    assert "Full" in html and f'name="add_group" value="{shop.group.pk}"' not in html
    add(client, code, group=shop.group)
    assert client.get(url("cart", code)).content.decode().count("Håndball G10") == 0


def test_a_second_submit_or_the_back_button_goes_to_the_same_receipt(client, kari):
    shop = make_club(billing_day=0, card=False)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    seen = version(client, code)
    first = client.post(url("cart", code), {"action": "checkout", "version": seen})
    second = client.post(url("cart", code), {"action": "checkout", "version": seen})
    assert first["Location"] == second["Location"]
    assert client.get(url("cart", code))["Location"] == first["Location"]
    # the person goes back and chooses themself again: the same receipt, nothing new
    assert choose(client, code)["Location"] == first["Location"]
    with scopes_disabled():
        assert Membership.objects.filter(person=kari.person).count() == 1
        assert Invoice.objects.filter(club=shop.club).count() == 1
    assert Registration.objects.count() == 1
    receipts = OutboundMessage.objects.filter(
        to_address="kari@example.no", subject__contains="Welcome"
    )
    assert receipts.count() == 1


def test_a_cart_changed_in_another_tab_is_shown_again(client, kari):
    shop = make_club(billing_day=15)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    seen = version(client, code)
    add(client, code, category=shop.support)  # the other tab
    response = client.post(url("cart", code), {"action": "checkout", "version": seen})
    assert response.status_code == 409
    assert "changed in another tab" in response.content.decode()
    assert not Membership.objects.filter(person=kari.person).exists()
    checkout(client, code)
    assert _membership(shop.club, kari.person).category == shop.support


def test_the_receipt_email_says_when_the_first_invoice_comes(client, kari):
    shop = make_club(billing_day=15)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    register(client, code, shop.ordinary)
    (message,) = [m for m in messages_to("kari@example.no") if "Welcome" in m.subject]
    assert "Kari Nordmann is now an active member of Fjell IL." in message.body_text
    assert "The first invoice comes on 15.12.2026." in message.body_text
    assert "Price: 1\xa0200,00 kr" in message.body_text
    assert len(mail.outbox) >= 0  # the outbox sends in the background
    assert Decimal(Registration.objects.get().total) == ORDINARY


def test_going_back_keeps_the_choice_and_the_cart(client, kari):
    shop = make_club(billing_day=15)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    add(client, code, group=shop.group)
    html = client.get(url("welcome", code)).content.decode()
    assert re.search(r'value="self"[^>]*checked', html)
    html = client.get(url("shop", code)).content.decode()
    assert html.count("✓ In the cart") == 2
    choose(client, code)  # the same choice again keeps the cart
    assert "Cart: 2 items" in client.get(url("shop", code)).content.decode()


def test_a_revoked_or_expired_invitation_stops_the_cart_but_not_the_receipt(client, kari):
    from invitations import services

    shop = make_club(billing_day=15)
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    receipt = register(client, code, shop.ordinary)["Location"]
    choose(client, code, "new_child")
    Invitation.objects.filter(pk=services.find_invitation(code).pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    for name in ("child", "shop", "cart"):
        response = client.get(url(name, code))
        assert response.status_code == 410, name
        assert "The invitation has expired" in response.content.decode()
    assert client.get(receipt).status_code == 200
    assert 'id="who"' not in client.get(url("welcome", code)).content.decode()

    per = adult("per@example.no", first="Per")
    code = invite_user(shop.club, per)
    client.force_login(per)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    services.revoke_invitation(services.find_invitation(code))
    response = client.get(url("cart", code))
    assert response.status_code == 410
    assert "The invitation has been withdrawn" in response.content.decode()
    invitation = services.find_invitation(code)
    with pytest.raises(services.RegistrationRefused) as refused:
        services.checkout(invitation.pk, per, services.Who("self"), shop.ordinary.pk, [])
    assert refused.value.reason == "closed"
