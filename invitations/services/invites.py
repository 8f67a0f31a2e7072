"""Invitations to register as a member (R-REG-1, R-REG-2): sending them by e-mail and/or
SMS in the club's name, sending again, revoking, and what a click on the link finds.

Messages go through the outbox in the transaction that writes the invitation, each with
an idempotency key: the same form sent twice invites once.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from comms.rendering import absolute_url
from comms.services import queue_email, queue_sms
from invitations import tokens
from invitations.models import OPEN_STATES, Invitation, InvitationState
from invitations.recipients import Entry
from invitations.services.common import InvitationError, clean_key

State = InvitationState
VALID_DAYS = 30
EMAIL_TEMPLATE = "invitations/email/invitation"


@dataclass
class InvitationResult:
    """``sent``: new invitations; ``open_already``: addresses with an open invitation
    from the club (send that one again instead); ``repeated``: sent already by this
    same form (a double submit)."""

    sent: list[Invitation] = field(default_factory=list)
    open_already: list[Invitation] = field(default_factory=list)
    repeated: int = 0


def send_invitations(
    club, entries: Iterable[Entry], *, by=None, key: str | None = None
) -> InvitationResult:
    """R-REG-1: one invitation per entry, by e-mail and/or SMS."""
    key = clean_key(key)
    result = InvitationResult()
    with scope(club=club), transaction.atomic():
        for entry in entries:
            digest = hashlib.sha256(f"{entry.email.casefold()}|{entry.phone}".encode()).hexdigest()
            invite_key = f"inv:reg:{key}:{digest[:24]}"
            if Invitation.objects.filter(key=invite_key).exists():
                result.repeated += 1
                continue
            existing = open_invitation_for(club, entry)
            if existing is not None:
                result.open_already.append(existing)
                continue
            invitation = _create(club, entry, key=invite_key, by=by)
            if invitation is None:
                result.repeated += 1
            else:
                result.sent.append(invitation)
    return result


def open_invitation_for(club, entry: Entry) -> Invitation | None:
    """The club's open (not expired) invitation to one of ``entry``'s addresses."""
    match = Q()
    if entry.email:
        match |= Q(email__iexact=entry.email)
    if entry.phone:
        match |= Q(phone=entry.phone)
    return (
        Invitation.objects.filter(match, club=club, status__in=OPEN_STATES)
        .filter(expires_at__gt=timezone.now())
        .first()
    )


def _create(club, entry: Entry, *, key: str, by) -> Invitation | None:
    code = tokens.new_code()
    now = timezone.now()
    invitation = Invitation(
        club=club,
        email=entry.email,
        phone=entry.phone,
        code_hash=tokens.code_hash(code),
        key=key,
        invited_by=by,
        created_at=now,
        sent_at=now,
        expires_at=now + timedelta(days=VALID_DAYS),
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:  # the same form, posted at the same moment
        return None
    _queue_messages(invitation, code)
    return invitation


def _queue_messages(invitation: Invitation, code: str) -> None:
    """The e-mail and/or SMS with the link (``code``), in the club's name; round
    ``resend_count`` of this invitation."""
    club = invitation.club
    url = absolute_url(reverse("invitations:invitation", args=[code]))
    base = f"inv:reg:{invitation.pk}:{invitation.resend_count}"
    fields = []
    if invitation.email:
        invitation.email_message = queue_email(
            club=club,
            person=None,
            to_address=invitation.email,
            template=EMAIL_TEMPLATE,
            context={"invite_url": url, "expires_at": invitation.expires_at},
            idempotency_key=f"{base}:email",
        )
        fields.append("email_message")
    if invitation.phone:
        invitation.sms_message = queue_sms(
            club=club,
            person=None,
            to_number=invitation.phone,
            text=sms_text(club, url, invitation.expires_at),
            idempotency_key=f"{base}:sms",
        )
        fields.append("sms_message")
    invitation.save(update_fields=fields)


def sms_text(club, url: str, expires_at) -> str:
    """The invitation by SMS, in the site's language, signed with the club's name."""
    with translation.override(settings.LANGUAGE_CODE):
        day = timezone.localtime(expires_at).strftime("%d.%m.%Y")
        return _(
            "%(club)s invites you to become a member. Register here: %(url)s "
            "(the link works until %(date)s)."
        ) % {"club": club.name, "url": url, "date": day}


def resend_invitation(invitation: Invitation, *, by=None, seen_round: int | None = None) -> bool:
    """Send the invitation again with a new link (the old link stops working) and a new
    expiry date. ``seen_round`` is the number of times it had been sent again when the
    admin asked: a second submit of the same form sends nothing (False). Refused for a
    revoked or registered invitation, and once a login was made with it."""
    with scope(club=invitation.club), transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if seen_round is not None and locked.resend_count != seen_round:
            return False
        state = locked.state
        if state not in (State.SENT, State.OPENED, State.EXPIRED):
            raise InvitationError(
                _("This invitation is “%(state)s” and cannot be sent again.")
                % {"state": locked.get_state_display()}
            )
        if locked.user_id is not None:
            raise InvitationError(
                _("A login has been made with this invitation; it cannot be sent again.")
            )
        code = tokens.new_code()
        now = timezone.now()
        locked.code_hash = tokens.code_hash(code)
        locked.resend_count += 1
        locked.sent_at = now
        locked.expires_at = now + timedelta(days=VALID_DAYS)
        locked.save(update_fields=["code_hash", "resend_count", "sent_at", "expires_at"])
        _queue_messages(locked, code)
    _copy(locked, invitation)
    return True


def revoke_invitation(invitation: Invitation, *, by=None) -> bool:
    """Withdraw the invitation: its link shows that it was withdrawn. False when it was
    revoked already; refused for a registered invitation."""
    with scope(club=invitation.club), transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status == State.REVOKED:
            return False
        if locked.status == State.REGISTERED:
            raise InvitationError(_("This person has registered; the invitation is done."))
        locked.status = State.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoked_by = by
        locked.save(update_fields=["status", "revoked_at", "revoked_by"])
    _copy(locked, invitation)
    return True


def _copy(source: Invitation, target: Invitation) -> None:
    for name in ("status", "code_hash", "resend_count", "sent_at", "expires_at", "revoked_at"):
        setattr(target, name, getattr(source, name))


# --- The link (public) ------------------------------------------------------------------


def find_invitation(code: str) -> Invitation | None:
    """The invitation a link's code belongs to (any club, any state), or None."""
    if not code or len(code) > 100:
        return None
    with scopes_disabled():
        return (
            Invitation.objects.select_related("club", "user")
            .filter(code_hash=tokens.code_hash(code))
            .first()
        )


def link_state(invitation: Invitation | None) -> str:
    """invalid, revoked, expired, registered or open (sent or opened)."""
    if invitation is None:
        return "invalid"
    state = invitation.state
    return "open" if state in OPEN_STATES else state


def mark_opened(invitation: Invitation) -> None:
    """The link was opened: ``sent`` becomes ``opened`` (once)."""
    if invitation.status != State.SENT:
        return
    now = timezone.now()
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk, status=State.SENT).update(
            status=State.OPENED, opened_at=now
        )
    invitation.status, invitation.opened_at = State.OPENED, now


def list_counts(club) -> dict[str, int]:
    """How many of the club's invitations are in each state (for the list's filter)."""
    counts = dict.fromkeys(State.values, 0)
    rows = (
        Invitation.objects.filter(club=club)
        .with_state()
        .order_by()
        .values("state_now")
        .annotate(n=Count("pk"))
    )
    counts.update({row["state_now"]: row["n"] for row in rows})
    return counts
