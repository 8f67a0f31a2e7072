"""The consents a person has given (R-REG-3, R-SEC-6), for the member card and Min side."""

from django.db.models import Q

from invitations.models import Consent


def consents_of(person, *, club=None) -> list[Consent]:
    """``person``'s consents, newest first. With ``club``: only those a club admin of it
    may see — the sport's rules (no club) and this club's own terms, not another club's."""
    consents = Consent.objects.filter(person=person)
    if club is not None:
        consents = consents.filter(Q(club__isnull=True) | Q(club=club))
    return list(consents.select_related("club").order_by("-given_at", "-pk"))
