"""A club with memberships, fees, price rules and groups for the registration's "who",
cart and checkout tests (R-REG-5 … R-REG-7), and the steps of the pages as a client
takes them."""

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.urls import reverse
from django_scopes import scopes_disabled

from billing.models import Fee, PriceRule
from invitations import services
from invitations.recipients import Entry
from members.models import Group, MembershipCategory
from members.services import create_club, create_person

from .outbox import invitation_link

User = get_user_model()
PASSWORD = "Fjelltur-i-regn-7"
ORDINARY = Decimal("1200.00")
CHILD_PRICE = Decimal("600.00")
SUPPORT = Decimal("200.00")
CLASS_FEE = Decimal("450.00")


def make_club(slug="fjell", *, approval=False, billing_day=0, card=True, capacity=2):
    """``Ordinær`` 1,200 kr a year (600 kr to age 12, half price from the second member
    of a household), ``Støttemedlem`` 200 kr, and the group ``Håndball G10`` (open for
    registration, ``capacity`` places, a class fee of 450 kr) beside a closed group."""
    with scopes_disabled():
        club = create_club(slug, f"{slug.title()} IL")
        club.email_sender = f"post@{slug}.example.no"
        club.approval_required = approval
        club.default_billing_day = billing_day
        club.accepts_card = card
        club.save()
        ordinary = MembershipCategory.objects.create(club=club, name="Ordinær", sort_order=1)
        support = MembershipCategory.objects.create(
            club=club, name="Støttemedlem", description="Uten aktivitet.", sort_order=2
        )
        MembershipCategory.objects.create(club=club, name="Gammel", is_active=False)
        fee = Fee.objects.create(
            club=club,
            name="Medlemskontingent",
            kind=Fee.Kind.MEMBERSHIP,
            category=ordinary,
            price=ORDINARY,
            period="year",
        )
        PriceRule.objects.create(
            club=club, fee=fee, kind="age_band", name="Barn", max_age=12, amount=CHILD_PRICE
        )
        PriceRule.objects.create(
            club=club, fee=fee, kind="family", name="Søsken", min_position=2, percent=50
        )
        Fee.objects.create(
            club=club,
            name="Støttekontingent",
            kind=Fee.Kind.MEMBERSHIP,
            category=support,
            price=SUPPORT,
            period="year",
        )
        group = Group.objects.create(
            club=club,
            name="Håndball G10",
            sport="Håndball",
            capacity=capacity,
            open_for_registration=True,
        )
        Fee.objects.create(
            club=club,
            name="Partiavgift G10",
            kind=Fee.Kind.CLASS,
            group=group,
            price=CLASS_FEE,
            period="year",
        )
        Group.objects.create(club=club, name="Lukket parti")
    return SimpleNamespace(club=club, ordinary=ordinary, support=support, group=group, fee=fee)


def adult(email="kari@example.no", *, first="Kari", last="Nordmann", born=date(1985, 7, 15)):
    """A person with a login (an existing user)."""
    with scopes_disabled():
        person = create_person(first_name=first, last_name=last, birth_date=born, email=email)
    return User.objects.create_user(email, PASSWORD, person=person)


def invite_user(club, user, email=None) -> str:
    """Invite ``user``'s address and let them take the invitation; the link's code."""
    email = email or user.email
    services.send_invitations(club, [Entry(email=email, phone="")], key=f"k{email}{club.pk}")
    code = invitation_link(email).split("/")[2]
    services.accept_invitation(services.find_invitation(code), user)
    return code


def url(name, code, **kwargs):
    return reverse(f"invitations:{name}", kwargs={"code": code, **kwargs})


def version(client, code) -> str:
    html = client.get(url("cart", code)).content.decode()
    return re.search(r'name="version" value="(\w+)"', html).group(1)


def choose(client, code, who="self"):
    return client.post(url("welcome", code), {"who": who})


def add(client, code, category=None, group=None):
    data = {}
    if category is not None:
        data["add_category"] = category.pk
    if group is not None:
        data["add_group"] = group.pk
    return client.post(url("shop", code), data)


def checkout(client, code, **extra):
    data = {"action": "checkout", "version": version(client, code)} | extra
    return client.post(url("cart", code), data)


def register(client, code, category, who="self", group=None):
    """Who, membership (and group) in the cart, then the cart's button."""
    assert choose(client, code, who).status_code == 302
    add(client, code, category=category)
    if group is not None:
        add(client, code, group=group)
    return checkout(client, code)
