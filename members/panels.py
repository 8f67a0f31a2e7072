"""The member card's extension point (DESIGN.md "Which app may import which").

Higher apps (billing, comms, invitations) add panels to the member card in their
``AppConfig.ready()`` so that ``members`` never imports them::

    from members.panels import Panel, register_member_card_panel
    register_member_card_panel(Panel("invoices", _("Invoices"), "billing/panels/invoices.html",
                                     context=invoice_panel_context, order=40))

``context(request, membership)`` returns the template's context; it runs inside the
club's scope. ``visible(access)`` may hide a panel from group admins.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _


def _always(access) -> bool:
    return True


@dataclass(frozen=True)
class Panel:
    key: str
    title: Any
    template: str
    context: Callable[[Any, Any], dict]
    order: int = 50
    visible: Callable[[Any], bool] = field(default=_always)


_MEMBER_CARD: dict[str, Panel] = {}


def register_member_card_panel(panel: Panel) -> None:
    _MEMBER_CARD[panel.key] = panel


def member_card_panels(request, membership) -> list[tuple[Panel, dict]]:
    """The panels this user may see, in order, each with its context. A panel whose
    context function returns None has nothing to say about this member and is left out."""
    access = request.club_access
    panels = sorted(_MEMBER_CARD.values(), key=lambda p: (p.order, p.key))
    shown = [(p, p.context(request, membership)) for p in panels if p.visible(access)]
    return [(p, context) for p, context in shown if context is not None]


def register_builtin_panels() -> None:
    from members import card

    register_member_card_panel(
        Panel(
            "memberships",
            _("Membership"),
            "members/panels/memberships.html",
            card.memberships_context,
            order=10,
        )
    )
    register_member_card_panel(
        Panel("groups", _("Groups"), "members/panels/groups.html", card.groups_context, order=20)
    )
    register_member_card_panel(
        Panel("guardians", _("Family"), "members/panels/family.html", card.family_context, order=30)
    )
    register_member_card_panel(
        Panel(
            "history",
            _("Change history"),
            "members/panels/history.html",
            card.history_context,
            order=90,
        )
    )
