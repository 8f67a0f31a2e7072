"""Memberships sent for approval (R-REG-7 (i), R-REG-8): the club admin approves or
rejects them from the member card, with a comment.

* Approve: the membership becomes active from today ("member since" is the day it was
  approved). Becoming active is signalled (``members.services.change_status``), and
  billing makes the member's agreements in the same transaction, first billed on the
  club's next billing day (``billing.services.first_billing_date``; billing day 0: at
  once) — "approval starts billing by the club's settings".
* Reject: the membership becomes ``rejected`` (it never started, so it has no end date
  and nothing to bill); the comment is required, and it is the reason the member reads.

Either way the member — or a guardian, for a child (``invitations.contacts``) — gets an
e-mail through the outbox, and an ``ApprovalDecision`` keeps the full comment, who and
when; the membership's history records the status change. The form's key makes a
double submit one decision and one e-mail; a membership no longer waiting for approval
is refused in plain words.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope

from billing.models import Agreement
from billing.services import first_billing_date
from comms.rendering import absolute_url
from comms.services import queue_email
from invitations.contacts import Contact, contact_for
from invitations.models import ApprovalDecision
from invitations.services.common import InvitationError, clean_key, with_contacts
from members.models import Membership
from members.services import change_status

Status = Membership.Status
Outcome = ApprovalDecision.Outcome
KEY_PREFIX = "inv:approval:"
TEMPLATES = {
    Outcome.APPROVED: "invitations/email/approved",
    Outcome.REJECTED: "invitations/email/rejected",
}
COMMENT_MAX = 2000


class ApprovalRefused(InvitationError):
    """The decision cannot be made (not waiting for approval, no reason given)."""


@dataclass(frozen=True)
class Decided:
    """What ``approve``/``reject`` did. ``new`` is False when this same form was sent
    before (nothing changed the second time); ``contact`` is who was told (None: neither
    the member nor a guardian has an e-mail address); ``first_invoice`` the date the
    first invoice is made on after an approval (None: nothing to bill)."""

    decision: ApprovalDecision
    new: bool
    contact: Contact | None
    first_invoice: date | None = None


@dataclass(frozen=True)
class Pending:
    """What the card and the confirmation page show about a membership: whether it waits
    for approval, who would be told, the first invoice date an approval would give, and
    the last decision made about it."""

    waiting: bool
    contact: Contact | None
    first_invoice: date
    billing_day: int
    last: ApprovalDecision | None


def pending(membership: Membership) -> Pending:
    club = membership.club
    return Pending(
        waiting=membership.status == Status.SENT_FOR_APPROVAL,
        contact=contact_for(membership),
        first_invoice=first_billing_date(club),
        billing_day=club.default_billing_day,
        last=last_decision(membership),
    )


def last_decision(membership: Membership) -> ApprovalDecision | None:
    return (
        ApprovalDecision.objects.filter(club=membership.club, membership=membership)
        .select_related("decided_by", "message")
        .first()
    )


def approve(membership: Membership, *, by, comment: str = "", key: str | None) -> Decided:
    """Approve a membership sent for approval; its billing starts by the club's settings."""
    return _decide(membership, Outcome.APPROVED, by=by, comment=comment, key=key)


def reject(membership: Membership, *, by, comment: str, key: str | None) -> Decided:
    """Reject a membership sent for approval; ``comment`` is the reason the member reads."""
    return _decide(membership, Outcome.REJECTED, by=by, comment=comment, key=key)


def clean_comment(outcome: str, comment: str) -> str:
    """The comment as stored; refused when a rejection gives no reason or it is too long."""
    comment = (comment or "").strip()
    if outcome == Outcome.REJECTED and not comment:
        raise ApprovalRefused(
            _("Write the reason for the rejection: the member reads it in the e-mail.")
        )
    if len(comment) > COMMENT_MAX:
        raise ApprovalRefused(
            _("The comment is too long (%(n)d characters; at most %(max)d).")
            % {"n": len(comment), "max": COMMENT_MAX}
        )
    return comment


def _decide(membership: Membership, outcome: str, *, by, comment: str, key) -> Decided:
    comment = clean_comment(outcome, comment)
    key = f"{KEY_PREFIX}{membership.pk}:{clean_key(key)}"
    club = membership.club
    with scope(club=club), transaction.atomic():
        locked = with_contacts(
            Membership.objects.filter(pk=membership.pk).select_for_update(of=("self",))
        ).get()
        contact = contact_for(locked)
        repeated = ApprovalDecision.objects.filter(key=key).first()
        if repeated is not None:
            return Decided(repeated, False, contact, _first_invoice(locked))
        if locked.status != Status.SENT_FOR_APPROVAL:
            raise ApprovalRefused(
                _("This membership is not waiting for approval: it is “%(status)s”.")
                % {"status": locked.get_status_display()}
            )
        if outcome == Outcome.APPROVED:
            locked.started_on = timezone.localdate()
            reason = _("Approved: %(comment)s") % {"comment": comment} if comment else ""
            change_status(
                locked,
                Status.ACTIVE,
                by=by,
                reason=reason or _("Approved"),
                approval_decision=True,
            )
        else:
            reason = _("Rejected: %(comment)s") % {"comment": comment}
            change_status(locked, Status.REJECTED, by=by, reason=reason, approval_decision=True)
        decision = ApprovalDecision.objects.create(
            club=club,
            membership=locked,
            outcome=outcome,
            comment=comment,
            key=key,
            decided_by=by,
        )
        first_invoice = _first_invoice(locked) if outcome == Outcome.APPROVED else None
        if contact is not None:
            decision.message = _tell(locked, contact, decision, first_invoice)
            decision.save(update_fields=["message"])
    membership.status, membership.started_on = locked.status, locked.started_on
    return Decided(decision, True, contact, first_invoice)


def _first_invoice(membership: Membership) -> date | None:
    """The earliest next billing date of the member's live agreements from this
    membership (made by billing when it became active)."""
    if membership.status != Status.ACTIVE:
        return None
    return Agreement.objects.filter(
        club=membership.club, membership=membership, cancelled_at__isnull=True
    ).aggregate(first=Min("next_billing_date"))["first"]


def _tell(membership, contact: Contact, decision: ApprovalDecision, first_invoice):
    return queue_email(
        club=membership.club,
        person=contact.person,
        to_address=contact.email,
        template=TEMPLATES[decision.outcome],
        context={
            "member": membership.person,
            "is_guardian": contact.is_guardian,
            "category": membership.category.name if membership.category_id else "",
            "comment": decision.comment,
            "first_invoice": first_invoice,
            "min_side_url": absolute_url(reverse("minside:index")),
        },
        idempotency_key=decision.key,
        about_person=contact.about,
    )
