"""Min side's extension point (DESIGN.md "Which app may import which", R-ACT-6).

Min side (``/min-side/``) shows the logged-in person and each of their children in a
section of their own. Higher apps (comms: messages received; billing: invoices;
invitations: open registrations) add a panel to those sections from their
``AppConfig.ready()``, so that ``members`` never imports them::

    from members.minside import Panel, register_min_side_panel
    register_min_side_panel(Panel("invoices", _("Invoices"), "billing/min_side/invoices.html",
                                  context=invoice_panel_context, order=40))

``context(request, person)`` is called once for the logged-in person and once for each
child (``person == request.user.person`` says which); it returns the template's
context (a dict, given to the template as ``ctx``), or None when the panel has nothing
to say about that person, and the panel is left out. It runs outside any club scope:
filter by ``person`` explicitly and lift the scope (``django_scopes.scopes_disabled``)
in your own service, never for anyone but that person. The person passed in is always
the user's own or one of their children: Min side's views check that first.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_PANELS: dict[str, "Panel"] = {}


@dataclass(frozen=True)
class Panel:
    key: str
    title: Any
    template: str
    context: Callable[[Any, Any], dict | None]
    order: int = 50


def register_min_side_panel(panel: Panel) -> None:
    """Add (or replace, by ``key``) a panel in every person's section of Min side."""
    _PANELS[panel.key] = panel


def min_side_panels(request, person) -> list[tuple[Panel, dict]]:
    """The panels with something to say about ``person``, in order, each with its context."""
    panels = sorted(_PANELS.values(), key=lambda p: (p.order, p.key))
    shown = [(p, p.context(request, person)) for p in panels]
    return [(p, context) for p, context in shown if context is not None]
