"""Activation and verification (R-ACT-1 … R-ACT-4): the "Bekreft" e-mails and what a
click on their link does."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from comms.rendering import absolute_url
from comms.services import queue_email
from invitations import tokens
from invitations.contacts import Contact, contact_for
from invitations.models import MinSideInvite, VerificationRequest
from invitations.services.common import (
    InvitationError,
    clean_key,
    close_if_empty,
    with_contacts,
)
from invitations.services.min_side import active_memberships, create_invite, has_login
from members.models import Club, Membership
from members.services import change_status

Status = Membership.Status
VERIFY_TEMPLATE = "invitations/email/verify"


# --- Activation and verification (R-ACT-1, R-ACT-2, R-ACT-3) -----------------------------


@dataclass
class ActivationResult:
    """What ``activate_club`` did: e-mails queued now, pending members it could not ask
    (no e-mail of their own nor a guardian's), and pending members asked before."""

    queued: int = 0
    without_email: list[Membership] = field(default_factory=list)
    asked_before: int = 0
    first_activation: bool = False


def activate_club(club: Club, *, by=None, batch=None) -> ActivationResult:
    """R-ACT-1, R-ACT-2: every ``pending`` membership that has an address (own, or a
    guardian's for a child) gets one verification e-mail and becomes
    ``awaiting_verification``. Members who matched an existing person are ``active``
    already and are not asked (R-ACT-3). Idempotent: a membership is asked by
    activation once (key ``inv:verify:activate:<id>``); running it again asks only
    pending members not asked before (say, whose e-mail was added since). The e-mails
    join ``batch`` (``new_batch``) when one is given."""
    result = ActivationResult()
    with scope(club=club), transaction.atomic():
        # One activation of a club at a time: a second waits here, then finds nothing new.
        locked = Club.objects.select_for_update().get(pk=club.pk)
        pending = list(
            with_contacts(
                Membership.objects.filter(club=club, status=Status.PENDING)
                .select_for_update(of=("self",))
                .order_by("pk")
            )
        )
        asked = set(
            VerificationRequest.objects.filter(club=club, membership__in=pending).values_list(
                "membership_id", flat=True
            )
        )
        for membership in pending:
            if membership.pk in asked:
                result.asked_before += 1
                continue
            contact = contact_for(membership)
            if contact is None:
                result.without_email.append(membership)
                continue
            _created, new = _ask(
                membership, contact, key=f"inv:verify:activate:{membership.pk}", by=by, batch=batch
            )
            result.queued += new
        if locked.activated_at is None:
            locked.activated_at = timezone.now()
            locked.save(update_fields=["activated_at"])
            club.activated_at = locked.activated_at
            result.first_activation = True
        close_if_empty(batch)
    return result


def send_verification(membership: Membership, *, by=None, key: str | None = None):
    """One member (R-ACT-2): a new verification e-mail; the member's earlier link stops
    working. Refused for a membership that is not waiting to be verified, or when
    nobody has an e-mail address. The same ``key`` twice sends once."""
    key = clean_key(key)
    with scope(club=membership.club), transaction.atomic():
        locked = with_contacts(
            Membership.objects.filter(pk=membership.pk).select_for_update(of=("self",))
        ).get()
        if locked.status not in (Status.PENDING, Status.AWAITING_VERIFICATION):
            raise InvitationError(
                _("Only pending members are asked to verify; this membership is “%(status)s”.")
                % {"status": locked.get_status_display()}
            )
        contact = contact_for(locked)
        if contact is None:
            raise InvitationError(
                _("%(name)s has no e-mail address, and no guardian with one.")
                % {"name": locked.person.full_name}
            )
        request, _new = _ask(locked, contact, key=f"inv:verify:{key}:{locked.pk}", by=by)
    membership.status = locked.status
    return request


@dataclass
class SendResult:
    queued: int = 0
    without_email: list[Membership] = field(default_factory=list)
    repeated: int = 0  # sent already by this same form (a double submit)


def resend_verifications(club: Club, *, by=None, key: str | None = None, batch=None) -> SendResult:
    """All unverified members (``awaiting_verification``) get a new link; the old ones
    stop working. The same ``key`` twice sends once."""
    key = clean_key(key)
    result = SendResult()
    with scope(club=club), transaction.atomic():
        waiting = with_contacts(
            Membership.objects.filter(club=club, status=Status.AWAITING_VERIFICATION)
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        for membership in waiting:
            contact = contact_for(membership)
            if contact is None:
                result.without_email.append(membership)
                continue
            _request, new = _ask(
                membership, contact, key=f"inv:verify:{key}:{membership.pk}", by=by, batch=batch
            )
            result.queued += new
            result.repeated += not new
        close_if_empty(batch)
    return result


def _ask(
    membership: Membership, contact: Contact, *, key: str, by=None, batch=None
) -> tuple[VerificationRequest, bool]:
    """Write the request, queue its e-mail and mark the membership as asked, in the
    caller's transaction (with the membership row locked); ``(request, True)``. A known
    key is a repeat: ``(its request, False)``, and nothing is sent."""
    existing = VerificationRequest.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    club = membership.club
    now = timezone.now()
    VerificationRequest.objects.filter(
        membership=membership, confirmed_at__isnull=True, superseded_at__isnull=True
    ).update(superseded_at=now)
    request = VerificationRequest.objects.create(
        club=club,
        membership=membership,
        person=contact.person,
        email=contact.email,
        key=key,
        created_by=by,
        created_at=now,
        expires_at=now + tokens.verification_max_age(),
    )
    token = tokens.verification_token(request.pk)
    request.message = queue_email(
        club=club,
        person=contact.person,
        to_address=contact.email,
        template=VERIFY_TEMPLATE,
        context={
            "member": membership.person,
            "is_guardian": contact.is_guardian,
            "confirm_url": absolute_url(reverse("invitations:confirm", args=[token])),
            "hours": settings.VERIFICATION_LINK_HOURS,
        },
        idempotency_key=key,
        about_person=contact.about,
        batch=batch,
    )
    request.save(update_fields=["message"])
    if membership.status == Status.PENDING:
        change_status(
            membership,
            Status.AWAITING_VERIFICATION,
            by=by,
            reason=_("Verification e-mail sent"),
        )
    return request, True


# --- Confirming (R-ACT-2, R-ACT-4) -------------------------------------------------------


class Outcome:
    OPEN = "open"  # a valid link, not used yet (the page asks to confirm)
    CONFIRMED = "confirmed"  # confirmed now
    ALREADY = "already"  # confirmed before: harmless, and the page says so
    EXPIRED = "expired"
    REPLACED = "replaced"  # a newer link was sent
    CLOSED = "closed"  # the membership is no longer waiting (cancelled, rejected)
    INVALID = "invalid"  # not a link of ours


@dataclass
class Confirmation:
    outcome: str
    request: VerificationRequest | None = None
    invite: MinSideInvite | None = None
    has_login: bool = False

    @property
    def club(self) -> Club | None:
        return self.request.club if self.request else None


def check_verification(token: str) -> Confirmation:
    """What the link would do, without doing it (the page shown before "Bekreft")."""
    found = tokens.read_verification_token(token)
    if found is None:
        return Confirmation(Outcome.INVALID)
    request_id, expired = found
    with scopes_disabled():
        request = _request(request_id)
        return _state(request, expired) if request else Confirmation(Outcome.INVALID)


def confirm(token: str, *, by=None) -> Confirmation:
    """R-ACT-4: a genuine, current link makes the membership ``active`` and queues the
    Min side invitation for the person who confirmed (unless they have a login). A
    second confirmation changes nothing and says ``ALREADY``."""
    found = tokens.read_verification_token(token)
    if found is None:
        return Confirmation(Outcome.INVALID)
    request_id, expired = found
    with scopes_disabled(), transaction.atomic():
        found_request = _request(request_id)
        if found_request is None:
            return Confirmation(Outcome.INVALID)
        # Membership first, then the request: the order "send again" locks them in.
        membership = Membership.objects.select_for_update().get(pk=found_request.membership_id)
        request = _request(request_id, lock=True)
        state = _state(request, expired)
        if state.outcome != Outcome.OPEN:
            return state
        if membership.status != Status.ACTIVE:
            change_status(membership, Status.ACTIVE, by=by, reason=_("Confirmed by e-mail"))
        request.membership = membership
        request.confirmed_at = timezone.now()
        request.save(update_fields=["confirmed_at"])
        login = has_login(request.person)
        invite = None
        if not login:
            invite, _new = create_invite(
                request.club,
                Contact(request.person, request.email),
                key=f"inv:minside:confirmed:{request.pk}",
            )
    return Confirmation(Outcome.CONFIRMED, request, invite, login)


def _request(request_id: int, *, lock: bool = False) -> VerificationRequest | None:
    requests = VerificationRequest.objects.select_related("club", "membership__person", "person")
    if lock:
        requests = requests.select_for_update(of=("self",))
    return requests.filter(pk=request_id).first()


def _state(request: VerificationRequest, expired: bool) -> Confirmation:
    membership = request.membership
    login = has_login(request.person)
    if request.confirmed_at is not None:
        return Confirmation(Outcome.ALREADY, request, has_login=login)
    if request.superseded_at is not None:
        confirmed = VerificationRequest.objects.filter(
            membership=membership, confirmed_at__isnull=False
        ).exists()
        return Confirmation(Outcome.ALREADY if confirmed else Outcome.REPLACED, request)
    if expired:
        return Confirmation(Outcome.EXPIRED, request)
    if membership.status not in (Status.PENDING, Status.AWAITING_VERIFICATION, Status.ACTIVE):
        return Confirmation(Outcome.CLOSED, request)
    return Confirmation(Outcome.OPEN, request, has_login=login)


# --- What the club admin's pages show ----------------------------------------------------


@dataclass
class ActivationOverview:
    to_ask: int  # pending, never asked, with an address: the next activation asks them
    without_email: list[Membership]
    asked_before_pending: int
    awaiting: int  # e-mail sent, not confirmed yet
    confirmed: int
    active: int
    activated_at: object


def activation_overview(club: Club) -> ActivationOverview:
    """The numbers on the activation page (inside the club's scope)."""
    pending = list(
        with_contacts(Membership.objects.filter(club=club, status=Status.PENDING)).order_by(
            "person__last_name", "person__first_name", "pk"
        )
    )
    asked = set(
        VerificationRequest.objects.filter(club=club, membership__in=pending).values_list(
            "membership_id", flat=True
        )
    )
    to_ask, without = 0, []
    for membership in pending:
        if membership.pk in asked:
            continue
        if contact_for(membership) is None:
            without.append(membership)
        else:
            to_ask += 1
    return ActivationOverview(
        to_ask=to_ask,
        without_email=without,
        asked_before_pending=len(asked),
        awaiting=Membership.objects.filter(club=club, status=Status.AWAITING_VERIFICATION).count(),
        confirmed=VerificationRequest.objects.filter(club=club, confirmed_at__isnull=False)
        .values("membership")
        .distinct()
        .count(),
        active=active_memberships(club).count(),
        activated_at=club.activated_at,
    )
