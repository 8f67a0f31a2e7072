"""Min side invitations (R-ACT-4, R-ACT-5): single-use codes bound to a Person, and
using one to create or connect a login."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from comms.rendering import absolute_url
from comms.services import queue_email
from invitations import tokens
from invitations.contacts import Contact, contact_for
from invitations.models import MinSideInvite
from invitations.services.common import (
    InvitationError,
    clean_key,
    close_if_empty,
    with_contacts,
)
from members.models import Club, Membership, Person

Status = Membership.Status
INVITE_TEMPLATE = "invitations/email/min_side"


# --- Min side invitations (R-ACT-4, R-ACT-5) ---------------------------------------------


@dataclass
class InviteResult:
    """``queued`` invitations; recipients who have a login already (they just log in);
    members without any address; memberships skipped because they are not active;
    invitations this same key had sent already."""

    queued: int = 0
    has_login: int = 0
    without_email: list[Membership] = field(default_factory=list)
    not_active: int = 0
    repeated: int = 0  # sent already by this same form (a double submit)


def has_login(person: Person) -> bool:
    return get_user_model().objects.filter(person=person).exists()


def active_memberships(club: Club):
    return Membership.objects.filter(club=club, status=Status.ACTIVE)


def send_min_side_invites(
    club: Club, memberships: Iterable, *, by=None, key: str | None = None, batch=None
) -> InviteResult:
    """R-ACT-5: a Min side invitation for each of ``memberships`` (memberships or ids,
    e.g. ``active_memberships(club)``) that is active, to the member or, for a child,
    a guardian; one per person however many of their children are selected. Persons
    with a login get none (they log in and see the membership). The same ``key`` twice
    sends once. The e-mails join ``batch`` when one is given."""
    key = clean_key(key)
    ids = [m if isinstance(m, int) else m.pk for m in memberships]
    result = InviteResult()
    with scope(club=club), transaction.atomic():
        chosen = list(with_contacts(Membership.objects.filter(club=club, pk__in=ids)))
        recipients: dict[int, Contact] = {}
        for membership in chosen:
            if membership.status != Status.ACTIVE:
                result.not_active += 1
                continue
            contact = contact_for(membership, for_login=True)
            if contact is None:
                result.without_email.append(membership)
                continue
            recipients.setdefault(contact.person.pk, contact)
        with_login = set(
            get_user_model()
            .objects.filter(person__in=list(recipients))
            .values_list("person_id", flat=True)
        )
        for person_id, contact in recipients.items():
            if person_id in with_login:
                result.has_login += 1
                continue
            _invite_obj, new = create_invite(
                club, contact, key=f"inv:minside:{key}:{person_id}", by=by, batch=batch
            )
            result.queued += new
            result.repeated += not new
        close_if_empty(batch)
    return result


def create_invite(
    club: Club, contact: Contact, *, key: str, by=None, batch=None
) -> tuple[MinSideInvite, bool]:
    """Write the invitation and queue its e-mail in the caller's transaction;
    ``(invite, True)``. A known key is a repeat: ``(its invitation, False)``, and nothing
    is sent."""
    existing = MinSideInvite.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    code = tokens.new_code()
    now = timezone.now()
    invite = MinSideInvite(
        club=club,
        person=contact.person,
        email=contact.email,
        code_hash=tokens.code_hash(code),
        key=key,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=settings.MIN_SIDE_INVITE_DAYS),
    )
    try:
        with transaction.atomic():
            invite.save()
    except IntegrityError:  # the same key from a concurrent request
        return MinSideInvite.objects.get(key=key), False
    invite.message = queue_email(
        club=club,
        person=contact.person,
        to_address=contact.email,
        template=INVITE_TEMPLATE,
        context={
            "invite_url": absolute_url(reverse("invitations:redeem", args=[code])),
            "expires_at": invite.expires_at,
            "children": list(contact.person.children.all()),
        },
        idempotency_key=key,
        batch=batch,
    )
    invite.save(update_fields=["message"])
    return invite, True


# --- Using an invitation -----------------------------------------------------------------


class InviteRefused(InvitationError):
    """The code cannot be used (``reason``: invalid, expired, used, has_login,
    other_person, email_taken); the message is for the user."""

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True)
class Signup:
    """A new login from the invitation page: the e-mail (the username) and a password
    already checked against the password validators."""

    email: str
    password: str


def find_invite(code: str) -> MinSideInvite | None:
    """The invitation a code belongs to (any club, any state), or None."""
    if not code or len(code) > 100:
        return None
    with scopes_disabled():
        return (
            MinSideInvite.objects.select_related("club", "person", "used_by")
            .filter(code_hash=tokens.code_hash(code))
            .first()
        )


def invite_state(invite: MinSideInvite | None) -> str:
    """invalid, used, expired, has_login (the person has a login already) or open."""
    if invite is None:
        return "invalid"
    if invite.is_used:
        return "used"
    if invite.is_expired():
        return "expired"
    if has_login(invite.person):
        return "has_login"
    return "open"


def email_has_login(email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email.strip()).exists()


def redeem_invite(code: str, user_or_signup):
    """R-ACT-5: use a Min side invitation, once, for the person it is bound to.

    ``user_or_signup`` is the logged-in user (their login becomes this person's, if it
    belongs to nobody yet, or is already theirs) or a ``Signup`` (a new login for this
    person). Returns the user. Raises ``InviteRefused`` when the code is unknown,
    expired or used (a used code can never attach another login), when the person has
    a login already and it is not this user (log in with it instead), when this user
    belongs to someone else, or when the e-mail has a login already."""
    User = get_user_model()
    with scopes_disabled(), transaction.atomic():
        invite = (
            MinSideInvite.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(code_hash=tokens.code_hash(code or ""))
            .first()
        )
        is_user = isinstance(user_or_signup, User)
        if invite is None:
            raise InviteRefused("invalid", _("This invitation link does not work."))
        if invite.is_used:
            if is_user and invite.used_by_id == user_or_signup.pk:
                return user_or_signup  # the same person again: harmless
            raise InviteRefused("used", _("This invitation has already been used."))
        if invite.is_expired():
            raise InviteRefused("expired", _("This invitation has expired."))
        person = Person.objects.select_for_update().get(pk=invite.person_id)
        owner = User.objects.filter(person=person).first()
        if owner is not None and not (is_user and owner.pk == user_or_signup.pk):
            raise InviteRefused(
                "has_login", _("You have a login already. Log in with it to see Min side.")
            )
        if is_user:
            user = user_or_signup
            if user.person_id and user.person_id != person.pk:
                raise InviteRefused(
                    "other_person",
                    _("You are logged in as someone else. Log out, then open the link again."),
                )
            if user.person_id is None:
                user.person = person
                user.save(update_fields=["person"])
        else:
            user = _create_login(person, user_or_signup)
        invite.used_at = timezone.now()
        invite.used_by = user
        invite.save(update_fields=["used_at", "used_by"])
    return user


def _create_login(person: Person, signup: Signup):
    User = get_user_model()
    email = User.objects.normalize_email(signup.email.strip()).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise InviteRefused(
            "email_taken",
            _("There is a login with this e-mail address already. Log in with it."),
        )
    candidate = User(email=email, person=person)
    password_validation.validate_password(signup.password, user=candidate)
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=signup.password, person=person)
    except IntegrityError as exc:  # the same e-mail from a concurrent request
        raise InviteRefused(
            "email_taken",
            _("There is a login with this e-mail address already. Log in with it."),
        ) from exc
