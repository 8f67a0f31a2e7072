"""Billing's navigation entry and its panels on the member card and on Min side,
registered into members' registries (members never imports billing). Club admins only:
group admins see no billing."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing import queries, services
from billing.avtalegiro import pages as avtalegiro_pages
from billing.models import Fee
from members.validators import format_bank_account


def _admin(access) -> bool:
    return access.is_admin


def agreements_card_context(request, membership) -> dict:
    """The member's agreements (R-BIL-2), and those they receive the invoice for."""
    club, person = request.club, membership.person
    return {
        "membership": membership,
        "agreements": list(queries.member_agreements(club, person)),
        "pays_for": list(queries.agreements_paid_for_others(club, person)),
        "has_fees": Fee.objects.filter(club=club, is_active=True).exists(),
    }


def invoices_card_context(request, membership) -> dict:
    """Invoices the member receives or is on a line of, newest first."""
    invoices = queries.member_invoices(request.club, membership.person)
    return {
        "invoices": list(invoices[: queries.CARD_LIMIT]),
        "count": invoices.count(),
        "person": membership.person,
        "today": timezone.localdate(),
    }


def min_side_invoices_context(request, person) -> dict | None:
    invoices = queries.min_side_invoices(request.user.person, person)
    for invoice in invoices:
        invoice.account_display = format_bank_account(invoice.seller_account)
    return {"invoices": invoices, "today": timezone.localdate()} if invoices else None


def min_side_agreements_context(request, person) -> dict | None:
    agreements = queries.min_side_agreements(person)
    for agreement in agreements:
        agreement.member_may_cancel = services.member_may_cancel(agreement)
    return {"agreements": agreements} if agreements else None


def avtalegiro_card_context(request, membership) -> dict:
    """The member's AvtaleGiro status with the club (R-BIL-7)."""
    status = avtalegiro_pages.card_context(request.club, membership.person)
    return {"membership": membership, **status}


def min_side_avtalegiro_context(request, person) -> dict | None:
    """AvtaleGiro per club (R-ACT-6): the person's own status, and the KID and account to
    set it up with. A child is shown only the mandates they pay with themselves."""
    rows = avtalegiro_pages.min_side_rows(person)
    if person.pk != request.user.person.pk:
        rows = [row for row in rows if row["mandate"] is not None]
    return {"rows": rows} if rows else None


def register() -> None:
    """Called from ``BillingConfig.ready()``."""
    from members import minside
    from members.navigation import NavItem, register_nav_item
    from members.panels import Panel, register_member_card_panel

    register_nav_item(NavItem("billing", _("Billing"), "billing:invoices", 50, admin_only=True))
    register_member_card_panel(
        Panel(
            "agreements",
            _("Agreements"),
            "billing/panels/agreements.html",
            agreements_card_context,
            order=40,
            visible=_admin,
        )
    )
    register_member_card_panel(
        Panel(
            "invoices",
            _("Invoices"),
            "billing/panels/invoices.html",
            invoices_card_context,
            order=45,
            visible=_admin,
        )
    )
    minside.register_min_side_panel(
        minside.Panel(
            "invoices",
            _("Invoices"),
            "billing/min_side/invoices.html",
            min_side_invoices_context,
            order=40,
        )
    )
    register_member_card_panel(
        Panel(
            "avtalegiro",
            _("AvtaleGiro"),
            "billing/panels/avtalegiro.html",
            avtalegiro_card_context,
            order=47,
            visible=_admin,
        )
    )
    minside.register_min_side_panel(
        minside.Panel(
            "avtalegiro",
            _("AvtaleGiro"),
            "billing/min_side/avtalegiro.html",
            min_side_avtalegiro_context,
            order=47,
        )
    )
    minside.register_min_side_panel(
        minside.Panel(
            "agreements",
            _("Agreements"),
            "billing/min_side/agreements.html",
            min_side_agreements_context,
            order=45,
        )
    )
