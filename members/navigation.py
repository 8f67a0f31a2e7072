"""The club navigation, extensible like the member card's panels: higher apps add their
pages from ``AppConfig.ready()`` so that ``members`` never imports them."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    key: str
    label: object
    url_name: str
    order: int = 50
    admin_only: bool = False
    exact: bool = False  # current only on the URL itself, not on pages below it


_ITEMS: dict[str, NavItem] = {}


def register_nav_item(item: NavItem) -> None:
    _ITEMS[item.key] = item


def club_nav(request) -> list[dict]:
    club, access = getattr(request, "club", None), getattr(request, "club_access", None)
    if club is None or access is None:
        return []
    out = []
    for item in sorted(_ITEMS.values(), key=lambda i: (i.order, i.key)):
        if item.admin_only and not access.is_admin:
            continue
        url = reverse(item.url_name, kwargs={"club_slug": club.slug})
        current = request.path == url if item.exact else request.path.startswith(url)
        out.append({"label": item.label, "url": url, "current": current})
    return out


def register_builtin_items() -> None:
    register_nav_item(NavItem("dashboard", _("Overview"), "members:dashboard", 10, exact=True))
    register_nav_item(NavItem("members", _("Members"), "members:list", 20))
    register_nav_item(NavItem("groups", _("Groups"), "members:groups", 30))
    register_nav_item(NavItem("settings", _("Settings"), "members:settings", 90, admin_only=True))
