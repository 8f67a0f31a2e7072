"""Who is asked about a membership, and at which address (R-ACT-2, DOMAIN.md §9).

A member's own e-mail is used, or a guardian's for a child: under 15 a guardian consents
(barnelova §32), so a child's guardian comes first and the child's own address is only
a fall-back; from 15 on the member's own address comes first and a guardian's is the
fall-back. A Min side login is never made for a child under 13 (personopplysningsloven
§5): their invitation goes to a guardian or nowhere.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from members.models import Membership, Person

CONSENT_AGE = 15
LOGIN_AGE = 13


@dataclass(frozen=True)
class Contact:
    """``person`` is asked at ``email``; ``about`` is the member when that is someone
    else (the person is their guardian)."""

    person: Person
    email: str
    about: Person | None = None

    @property
    def is_guardian(self) -> bool:
        return self.about is not None


def contact_for(
    membership: Membership, *, for_login: bool = False, today: date | None = None
) -> Contact | None:
    """The one person (and address) to ask about ``membership``, or None when neither the
    member nor a guardian has an e-mail address. Guardians should be prefetched
    (``person__guardians``) when called for many memberships."""
    member = membership.person
    age = member.age_on(today or timezone.localdate())
    own = [Contact(member, member.email.strip())] if member.email.strip() else []
    if for_login and age is not None and age < LOGIN_AGE:
        own = []
    guardians = sorted(member.guardians.all(), key=lambda g: g.pk)
    theirs = [Contact(g, g.email.strip(), member) for g in guardians if g.email.strip()]
    ordered = theirs + own if age is not None and age < CONSENT_AGE else own + theirs
    return ordered[0] if ordered else None
