"""Helpers of the billing page tests (tests/billing/test_pages*.py): a club admin
logged in, invoices made by a real run, and URLs."""

from datetime import date

from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import services
from billing.models import Invoice
from members.services import get_or_create_user, grant_club_admin

from .conftest import make_fee, make_member


def log_in_admin(client, club, email: str = "kasserer@example.no"):
    with scopes_disabled():
        user = get_or_create_user(email, "pw-123456789")
        grant_club_admin(club, user)
    client.force_login(user)
    return user


def url(name: str, club, *args, query: str = "") -> str:
    path = reverse(f"billing:{name}", args=[club.slug, *args])
    return f"{path}?{query}" if query else path


def make_invoices(club, *, on: date | None = None, price: str = "600.00", names=("Agnes", "Brede")):
    """One invoice per member named, made by a run on ``on`` (default today)."""
    on = on or timezone.localdate()
    fee = make_fee(club, price=price, name=f"Kontingent {names[0]}")
    members = [make_member(club, name, fee=fee, next_billing_date=on) for name in names]
    services.run_invoices(club, on)
    with scopes_disabled():
        invoices = list(Invoice.objects.filter(club=club).order_by("number"))
    return fee, members, invoices


def fresh(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)
