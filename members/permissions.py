"""Every "may this user …?" question, one function each (DESIGN.md §Tenancy).

Views, templates (through the ``club_perms`` tag library) and the middleware ask here;
nothing else decides access.
"""

from dataclasses import dataclass, field
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from members.models import Club, ClubRole, Group, Membership, Person


@dataclass(frozen=True)
class ClubAccess:
    """What the current user may do in one club, computed once per request."""

    club: Club
    is_admin: bool
    group_ids: frozenset[int] = field(default_factory=frozenset)


def club_access(user, club: Club) -> ClubAccess | None:
    """The user's access to ``club``, or None when they have no role there."""
    if not user.is_authenticated:
        return None
    roles = list(ClubRole.objects.filter(club=club, user=user).values_list("kind", "group_id"))
    if not roles:
        return None
    is_admin = any(kind == ClubRole.Kind.ADMIN for kind, _ in roles)
    groups = frozenset(g for kind, g in roles if kind == ClubRole.Kind.GROUP_ADMIN and g)
    return ClubAccess(club=club, is_admin=is_admin, group_ids=groups)


def can_access_club(user, club: Club) -> bool:
    return club_access(user, club) is not None


def can_manage_club(access: ClubAccess | None) -> bool:
    return bool(access and access.is_admin)


def clubs_for_user(user) -> QuerySet[Club]:
    """Clubs where the user has any role."""
    if not user.is_authenticated:
        return Club.objects.none()
    return Club.objects.filter(roles__user=user).distinct().order_by("name")


def visible_groups(access: ClubAccess) -> QuerySet[Group]:
    groups = Group.objects.filter(club=access.club)
    return groups if access.is_admin else groups.filter(pk__in=access.group_ids)


def can_manage_group(access: ClubAccess, group: Group) -> bool:
    return access.is_admin or (group.club_id == access.club.pk and group.pk in access.group_ids)


def visible_memberships(access: ClubAccess) -> QuerySet[Membership]:
    """Memberships this user may see: all of the club for an admin, the members of
    their own groups for a group admin (R-GRP-2)."""
    memberships = Membership.objects.filter(club=access.club)
    if access.is_admin:
        return memberships
    return memberships.filter(group_links__group_id__in=access.group_ids).distinct()


def can_see_membership(access: ClubAccess, membership: Membership) -> bool:
    if membership.club_id != access.club.pk:
        return False
    return access.is_admin or visible_memberships(access).filter(pk=membership.pk).exists()


def can_reveal_national_id(access: ClubAccess) -> bool:
    """Only club admins see a national id number in clear, and each look is logged."""
    return access.is_admin


def require_club_admin(view):
    """Decorator for club views that only a club admin may use."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_manage_club(getattr(request, "club_access", None)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# Min side (R-ACT-6, R-SEC-1): a person sees only themself and their children.


def min_side_person(user) -> Person | None:
    """The person a login belongs to; None for anonymous users and logins without one."""
    if not user.is_authenticated or not user.person_id:
        return None
    return user.person


def min_side_persons(person: Person) -> list[Person]:
    """Whom ``person`` looks after on Min side: themself first, then their children."""
    return [person, *person.children.order_by("birth_date", "first_name", "pk")]


def min_side_child(person: Person, public_id) -> Person | None:
    """One of ``person``'s children by public id; None when it is not their child."""
    return person.children.filter(public_id=public_id).first()


def can_manage_person(user, other: Person) -> bool:
    """May this login change ``other`` on Min side (their own person or their child)?"""
    own = min_side_person(user)
    if own is None:
        return False
    return other.pk == own.pk or own.children.filter(pk=other.pk).exists()
