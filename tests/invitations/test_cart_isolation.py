"""The pages after the login (who, child, memberships, cart, receipt, the card payment's
way back) belong to the invitation's own login (R-SEC-1): another login — with an
invitation of its own, or none — gets 404 and sees nothing of the person; logged out,
the link's start page; an unknown code, 404. A registration or a card payment of
another invitation is not reached through one's own."""

import pytest
from django_scopes import scopes_disabled

from billing.models import CardPayment
from invitations.models import Registration

from .cart_helpers import add, adult, checkout, choose, invite_user, make_club, url
from .outbox import needs_optional_recipient

pytestmark = needs_optional_recipient

PAGES = ("welcome", "child", "shop", "cart")


@pytest.fixture
def kari_paying(client, db, unscoped):
    """Kari registered in a club that takes payment at once, and left on the provider's
    page (her card payment is started)."""
    shop = make_club(billing_day=0)
    kari = adult()
    code = invite_user(shop.club, kari)
    client.force_login(kari)
    choose(client, code)
    add(client, code, category=shop.ordinary)
    pay_page = checkout(client, code)["Location"]
    registration = Registration.objects.get()
    token = pay_page.rstrip("/").rsplit("/", 1)[1]
    client.logout()
    return shop, code, registration, token


def _all_urls(code, registration_id, token):
    kwargs = {"registration_id": registration_id}
    yield from (url(name, code) for name in PAGES)
    yield url("receipt", code, **kwargs)
    yield url("payment_back", code, token=token, **kwargs)
    yield url("payment_cancelled", code, token=token, **kwargs)


def test_another_login_sees_nothing(client, kari_paying):
    shop, code, registration, token = kari_paying
    per = adult("per@example.no", first="Per", last="Hansen")
    invite_user(shop.club, per)  # Per has an invitation of his own
    client.force_login(per)
    for address in _all_urls(code, registration.pk, token):
        for response in (client.get(address), client.post(address, {"who": "self"})):
            assert response.status_code == 404, address
            html = response.content.decode()
            assert "Kari" not in html and "kari@example.no" not in html, address
    with scopes_disabled():
        assert CardPayment.objects.get().status == CardPayment.Status.STARTED
    assert Registration.objects.count() == 1


def test_ones_own_invitation_does_not_reach_anothers_registration(client, kari_paying):
    shop, _code, registration, token = kari_paying
    per = adult("per@example.no", first="Per", last="Hansen")
    own = invite_user(shop.club, per)
    client.force_login(per)
    kwargs = {"registration_id": registration.pk}
    assert client.get(url("receipt", own, **kwargs)).status_code == 404
    assert client.get(url("payment_back", own, token=token, **kwargs)).status_code == 404
    assert client.get(url("payment_cancelled", own, token=token, **kwargs)).status_code == 404
    with scopes_disabled():
        assert CardPayment.objects.get().status == CardPayment.Status.STARTED


def test_logged_out_goes_to_the_link_and_an_unknown_code_is_404(client, kari_paying):
    _shop, code, registration, token = kari_paying
    for address in _all_urls(code, registration.pk, token):
        response = client.get(address)
        assert response.status_code == 302, address
        assert response["Location"] == f"/invitasjon/{code}/"
    html = client.get(f"/invitasjon/{code}/").content.decode()
    assert "Kari" not in html
    for address in _all_urls("unknown-code", registration.pk, token):
        assert client.get(address).status_code == 404, address


def test_a_login_without_an_invitation_sees_nothing(client, kari_paying, small_club):
    _shop, code, registration, token = kari_paying
    client.force_login(small_club.admin)  # an admin of another club, no person
    for address in _all_urls(code, registration.pk, token):
        response = client.get(address)
        assert response.status_code == 404, address
        assert "Kari" not in response.content.decode()
