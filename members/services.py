"""Business rules of the members app: plain functions over models (DESIGN.md).

Views, commands and tasks call these; none of them holds a rule of its own.
"""

import secrets
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from members import identity, signals
from members.models import (
    Club,
    ClubRole,
    Group,
    GroupMember,
    Membership,
    Person,
    PersonAccessLog,
    WaitlistEntry,
)

Status = Membership.Status


class MembersError(Exception):
    """A rule of this app said no; the message is for the user."""


class AlreadyMember(MembersError):
    pass


class InvalidStatusTransition(MembersError):
    pass


# SPEC §3: pending → awaiting_verification → active; sent_for_approval → active | rejected;
# active → cancelled. A pending member who matched can be activated directly (R-ACT-3),
# and an admin may reactivate a cancelled membership.
TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING: {Status.AWAITING_VERIFICATION, Status.ACTIVE, Status.CANCELLED},
    Status.AWAITING_VERIFICATION: {Status.ACTIVE, Status.PENDING, Status.CANCELLED},
    Status.SENT_FOR_APPROVAL: {Status.ACTIVE, Status.REJECTED},
    Status.ACTIVE: {Status.CANCELLED},
    Status.REJECTED: {Status.SENT_FOR_APPROVAL},
    Status.CANCELLED: {Status.ACTIVE},
}


def change_status(
    membership: Membership,
    new_status: str,
    *,
    by=None,
    reason: str = "",
    on: date | None = None,
    approval_decision: bool = False,
) -> Membership:
    """Move a membership to ``new_status`` if SPEC §3 allows it; history records who.
    Becoming active or cancelled is signalled (``members.signals``) in the same
    transaction: billing makes or ends the member's agreements (R-BIL-2). A membership
    sent for approval is approved or rejected only as an ``approval_decision`` (the
    approval panel, which answers the member by e-mail, R-REG-7)."""
    if new_status not in Status.values:
        raise InvalidStatusTransition(_("Unknown membership status."))
    if (
        membership.status == Status.SENT_FOR_APPROVAL
        and new_status in (Status.ACTIVE, Status.REJECTED)
        and not approval_decision
    ):
        raise InvalidStatusTransition(
            _(
                "A membership sent for approval is approved or rejected under “Approval” "
                "on the member's page, so that the member gets the answer by e-mail."
            )
        )
    if new_status not in TRANSITIONS.get(membership.status, set()):
        raise InvalidStatusTransition(
            _("A membership cannot go from “%(old)s” to “%(new)s”.")
            % {"old": Status(membership.status).label, "new": Status(new_status).label}
        )
    membership.status = new_status
    if new_status == Status.CANCELLED:
        membership.ended_on = on or timezone.localdate()
    elif new_status == Status.ACTIVE:
        membership.ended_on = None
    membership._change_reason = reason[:100] if reason else ""
    if by is not None:
        membership._history_user = by
    with transaction.atomic():
        membership.save()
        if new_status == Status.ACTIVE:
            _signal_activated(membership)
        elif new_status == Status.CANCELLED:
            signals.memberships_ended.send(
                sender=Membership,
                club=membership.club,
                membership_ids=[membership.pk],
                on=membership.ended_on,
                by=by,
            )
    return membership


def _signal_activated(membership: Membership) -> None:
    signals.memberships_activated.send(
        sender=Membership, club=membership.club, membership_ids=[membership.pk]
    )


@dataclass(frozen=True)
class IdentityQuery:
    first_name: str = ""
    last_name: str = ""
    birth_date: date | None = None
    national_id: str = ""


def find_registry_matches(query: IdentityQuery) -> list[Person]:
    """Exact identity look-up in the central registry (R-MEM-5, R-MIG-3).

    A national id decides alone. Otherwise normalised first name + last name + birth
    date must all be equal. Near misses are never returned: this shows no one else.
    """
    if query.national_id:
        number = identity.clean_national_id(query.national_id)
        return list(Person.objects.filter(national_id_hash=identity.national_id_hash(number)))
    if not (query.first_name and query.last_name and query.birth_date):
        return []
    return list(
        Person.objects.filter(
            first_name_key=identity.name_key(query.first_name),
            last_name_key=identity.name_key(query.last_name),
            birth_date=query.birth_date,
        )
    )


def create_person(*, national_id: str = "", by=None, **fields) -> Person:
    """Create a Person in the registry. A national id that is already registered is
    refused: that person exists and must be attached, not created twice."""
    person = Person(**fields)
    if national_id:
        number = identity.clean_national_id(national_id)
        if Person.objects.filter(national_id_hash=identity.national_id_hash(number)).exists():
            raise MembersError(_("A person with this national id number is already registered."))
        person.set_national_id(number)
        if not person.birth_date:
            person.birth_date = identity.birth_date_from_national_id(number)
    if by is not None:
        person._history_user = by
    person.save()
    return person


def add_membership(
    club: Club,
    person: Person,
    *,
    source: str,
    category=None,
    status: str = Status.ACTIVE,
    started_on: date | None = None,
    member_number: str = "",
    household=None,
    by=None,
) -> Membership:
    """Make ``person`` a member of ``club`` (in ``household``, if given, before becoming
    active is signalled: the household's payer gets the invoices); refuses a second
    membership."""
    if Membership.objects.filter(club=club, person=person).exists():
        raise AlreadyMember(_("%(name)s is already a member of this club.") % {"name": person})
    membership = Membership(
        club=club,
        person=person,
        category=category,
        household=household,
        status=status,
        source=source,
        started_on=started_on or timezone.localdate(),
        member_number=member_number,
    )
    if by is not None:
        membership._history_user = by
    try:
        with transaction.atomic():
            membership.save()
            if status == Status.ACTIVE:
                _signal_activated(membership)
    except IntegrityError as exc:  # a double click that raced the check above
        raise AlreadyMember(
            _("%(name)s is already a member of this club.") % {"name": person}
        ) from exc
    return membership


def add_to_group(group: Group, membership: Membership) -> GroupMember:
    """Put the member in the group (once); a new place is signalled (fees, R-BIL-2)."""
    with transaction.atomic():
        link, created = GroupMember.objects.get_or_create(
            club=group.club, group=group, membership=membership
        )
        if created:
            signals.group_joined.send(sender=GroupMember, club=group.club, link_ids=[link.pk])
    return link


def remove_from_group(link: GroupMember, *, on: date | None = None, by=None) -> None:
    """Take the member out of the group from ``on`` (default today); signalled first, so
    the group's fees end for them (R-BIL-2). Removing twice does nothing more."""
    with transaction.atomic():
        if not GroupMember.objects.filter(pk=link.pk).exists():
            return
        signals.group_left.send(
            sender=GroupMember,
            club=link.club,
            links=[(link.group_id, link.membership_id)],
            on=on or timezone.localdate(),
            by=by,
        )
        GroupMember.objects.filter(pk=link.pk).delete()


def reveal_national_id(person: Person, *, user, club: Club) -> str:
    """The clear national id for the member card's explicit reveal; every look is logged."""
    if not person.has_national_id:
        return ""
    PersonAccessLog.objects.create(person=person, club=club, user=user, field="national_id")
    return person.national_id


def grant_club_admin(club: Club, user) -> ClubRole:
    role, _created = ClubRole.objects.get_or_create(club=club, user=user, kind=ClubRole.Kind.ADMIN)
    return role


def grant_group_admin(group: Group, user) -> ClubRole:
    return grant_group_admin_created(group, user)[0]


def grant_group_admin_created(group: Group, user) -> tuple[ClubRole, bool]:
    return ClubRole.objects.get_or_create(
        club=group.club, user=user, kind=ClubRole.Kind.GROUP_ADMIN, group=group
    )


def get_or_create_user(email: str, password: str | None = None):
    """The login for ``email``; a new one without a password gets an unusable one."""
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password)
        if password is None:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    return user


def create_club(slug: str, name: str, *, org_number: str = "", admin_email: str = "") -> Club:
    """Create a club (operator command); with ``admin_email`` that user becomes its admin."""
    if Club.objects.filter(slug=slug).exists():
        raise MembersError(
            _("A club with the short name “%(slug)s” exists already.") % {"slug": slug}
        )
    club = Club(slug=slug, name=name, org_number=org_number)
    club.full_clean()
    with transaction.atomic():
        club.save()
        if admin_email:
            grant_club_admin(club, get_or_create_user(admin_email))
    return club


def new_password() -> str:
    return secrets.token_urlsafe(12)


def update_person(person: Person, data: dict, *, by=None) -> Person:
    """Save corrected person data; a new national id is stored encrypted."""
    national_id = data.pop("national_id", "")
    for name, value in data.items():
        setattr(person, name, value)
    if national_id:
        person.set_national_id(national_id)
    if by is not None:
        person._history_user = by
    person.save()
    return person


def add_guardian(child: Person, *, first_name, last_name, email="", mobile="", by=None) -> Person:
    """Link a guardian: an existing person with the same name and e-mail or mobile is
    reused (a guardian has no birth date to match on), otherwise one is created."""
    key_first, key_last = identity.name_key(first_name), identity.name_key(last_name)
    candidates = Person.objects.filter(first_name_key=key_first, last_name_key=key_last)
    contact = [c for c in (email, str(mobile or "")) if c]
    guardian = next(
        (
            p
            for p in candidates
            if p.email in contact or (p.mobile and str(p.mobile.as_e164) in contact)
        ),
        None,
    )
    if guardian is None:
        guardian = create_person(
            first_name=first_name,
            last_name=last_name,
            email=email or "",
            mobile=mobile or "",
            by=by,
        )
    if guardian.pk == child.pk:
        raise MembersError(_("A person cannot be their own guardian."))
    child.guardians.add(guardian)
    return guardian


def own_memberships(person: Person | None) -> list[Membership]:
    """A person's memberships in every club (their own view, never a club's): named
    system code, so the club scope is lifted here and only here."""
    if person is None:
        return []
    with scopes_disabled():
        return list(Membership.objects.filter(person=person).select_related("club", "category"))


# Min side (R-ACT-6). The callers (members/views/min_side.py) pass only persons that
# members.permissions.min_side_persons() gave them: the user's own person and children.

CONTACT_FIELDS = ("email", "mobile", "address_line", "co_line", "postal_code", "city")


@dataclass
class PersonOverview:
    """One person's part of Min side: memberships in every club (each with ``groups``,
    its group links), and waitlist places (each with ``place``, 1 = next in line)."""

    person: Person
    memberships: list[Membership] = field(default_factory=list)
    waitlist: list[WaitlistEntry] = field(default_factory=list)


def min_side_overview(persons: list[Person]) -> list[PersonOverview]:
    """Memberships, groups and waitlist places of ``persons`` across all clubs, loaded
    completely (templates render outside any club scope). Named system code: the scope
    is lifted here, filtered by person."""
    overviews = {p.pk: PersonOverview(p) for p in persons}
    with scopes_disabled():
        memberships = list(
            Membership.objects.filter(person__in=persons)
            .select_related("club", "category")
            .order_by("club__name", "pk")
        )
        links: dict[int, list[GroupMember]] = {}
        for link in (
            GroupMember.objects.filter(membership__in=memberships)
            .select_related("group")
            .order_by("group__name")
        ):
            links.setdefault(link.membership_id, []).append(link)
        ahead = (
            WaitlistEntry.objects.filter(
                group=OuterRef("group"), position__lte=OuterRef("position")
            )
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        waitlist = list(
            WaitlistEntry.objects.filter(person__in=persons)
            .select_related("club", "group")
            .annotate(place=Subquery(ahead))
            .order_by("club__name", "group__name")
        )
    for m in memberships:
        m.groups = links.get(m.pk, [])
        m.can_cancel = can_cancel(m)
        overviews[m.person_id].memberships.append(m)
    for entry in waitlist:
        overviews[entry.person_id].waitlist.append(entry)
    return list(overviews.values())


def min_side_membership(persons: list[Person], membership_id: int) -> Membership | None:
    """A membership of one of ``persons`` (any club), or None: never anyone else's."""
    with scopes_disabled():
        return (
            Membership.objects.filter(pk=membership_id, person__in=persons)
            .select_related("club", "category", "person")
            .first()
        )


def can_cancel(membership: Membership) -> bool:
    return Status.CANCELLED in TRANSITIONS.get(membership.status, set())


def cancel_membership(membership: Membership, *, by, reason: str = "") -> bool:
    """Cancel from today (SPEC §3, R-ACT-6), recorded with who did it. The row is locked
    first, so a double submit or two tabs cancel once; False when it was cancelled
    already. A status that cannot be cancelled raises InvalidStatusTransition."""
    with transaction.atomic(), scopes_disabled():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.status == Status.CANCELLED:
            return False
        change_status(locked, Status.CANCELLED, by=by, reason=reason)
    membership.status, membership.ended_on = locked.status, locked.ended_on
    return True


def _comparable(value) -> str:
    return value.as_e164 if hasattr(value, "as_e164") else str(value or "")


def update_contact_details(person: Person, data: dict, *, by, reason: str = "") -> list[str]:
    """Save e-mail, mobile and postal address from Min side; other fields are ignored.
    Only what changed is written (a repeated submit writes nothing); history records who.
    Returns the names of the changed fields."""
    changed = [
        f
        for f in CONTACT_FIELDS
        if f in data and _comparable(data[f]) != _comparable(getattr(person, f))
    ]
    if not changed:
        return []
    for name in changed:
        setattr(person, name, data[name] or "")
    person._history_user = by
    person._change_reason = reason[:100]
    person.save(update_fields=[*changed, "updated_at"])
    return changed


def set_newsletter_opt_out(person: Person, opted_out: bool, *, by=None, reason: str = "") -> bool:
    """Opt ``person`` out of newsletters (or back in), R-COM-5. Idempotent: the first
    opt-out time is kept; False when nothing changed."""
    if opted_out == (person.newsletter_opt_out_at is not None):
        return False
    person.newsletter_opt_out_at = timezone.now() if opted_out else None
    if by is not None:
        person._history_user = by
    person._change_reason = reason[:100]
    person.save(update_fields=["newsletter_opt_out_at", "updated_at"])
    return True
