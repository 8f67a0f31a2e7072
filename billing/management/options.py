"""What billing's operator commands share: the club named by ``--club`` and a date
argument, with the same errors in plain words."""

from datetime import date, datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django_scopes import scopes_disabled

from members.models import Club


def parse_day(text: str | None) -> date:
    """A date as 2026-01-31 or 31.01.2026; none given: today."""
    if not text:
        return timezone.localdate()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CommandError(
        f"'{text}' is not a date: write it as YYYY-MM-DD (2026-01-31) or 31.01.2026."
    )


def club_named(slug: str) -> Club:
    with scopes_disabled():
        club = Club.objects.filter(slug=slug).first()
    if club is None:
        raise CommandError(f"No club with the short name {slug!r}.")
    return club


def clubs_named(slug: str | None, everyone=None) -> list[Club]:
    """The club ``slug``, or without one ``everyone`` (a queryset; default all clubs)."""
    if slug:
        return [club_named(slug)]
    with scopes_disabled():
        return list((everyone if everyone is not None else Club.objects.all()).order_by("slug"))
