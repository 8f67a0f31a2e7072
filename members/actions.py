"""Buttons that higher apps add to members' pages, like the card's panels and the club
navigation: registered from their ``AppConfig.ready()`` so that ``members`` never
imports them. comms adds "Send message" this way::

    from members.actions import PageAction, register_page_action
    register_page_action(PageAction("message", _("Send message"), "member_card",
                                    url=lambda request, membership: ...))

The pages and what ``url(request, obj)`` gets as ``obj``:

* ``"member_card"``: the Membership shown;
* ``"member_list"``: the member overview's current query string (its filter, without the
  page number), so an action can work on the filter result;
* ``"group"``: the Group shown.

``url`` returns the button's address, or None to leave the button out for this user.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PAGES = ("member_card", "member_list", "group")


@dataclass(frozen=True)
class PageAction:
    key: str
    label: Any
    page: str
    url: Callable[[Any, Any], str | None]
    order: int = 50


_ACTIONS: dict[tuple[str, str], PageAction] = {}


def register_page_action(action: PageAction) -> None:
    if action.page not in PAGES:
        raise ValueError(f"unknown page {action.page!r}; pages are {PAGES}")
    _ACTIONS[(action.page, action.key)] = action


def page_actions(request, page: str, obj) -> list[dict]:
    """The buttons for ``page``, in order: ``[{"key", "label", "url"}]``."""
    actions = sorted(
        (a for (p, _key), a in _ACTIONS.items() if p == page), key=lambda a: (a.order, a.key)
    )
    out = []
    for action in actions:
        url = action.url(request, obj)
        if url:
            out.append({"key": action.key, "label": action.label, "url": url})
    return out
