"""Rows for the Min side invitation page and the member card panel: who would get the
invitation, whether they have a login, and the club's last invitation to them."""

from django.contrib.auth import get_user_model

from invitations.contacts import contact_for
from invitations.models import MinSideInvite, VerificationRequest
from invitations.services import new_send_key


def invite_rows(club, memberships) -> list[dict]:
    """One row per membership (guardians prefetched): ``membership``, ``contact`` (None
    when nobody has an address), ``has_login`` and ``last_invite``."""
    memberships = list(memberships)
    contacts = {m.pk: contact_for(m, for_login=True) for m in memberships}
    person_ids = {c.person.pk for c in contacts.values() if c}
    with_login = set(
        get_user_model().objects.filter(person__in=person_ids).values_list("person_id", flat=True)
    )
    last: dict[int, MinSideInvite] = {}
    for invite in MinSideInvite.objects.filter(club=club, person__in=person_ids).order_by(
        "created_at", "pk"
    ):
        last[invite.person_id] = invite
    rows = []
    for m in memberships:
        contact = contacts[m.pk]
        rows.append(
            {
                "membership": m,
                "contact": contact,
                "has_login": bool(contact and contact.person.pk in with_login),
                "last_invite": last.get(contact.person.pk) if contact else None,
            }
        )
    return rows


def card_panel_context(request, membership) -> dict:
    """The member card's "Verification and Min side" panel (club admins)."""
    club = request.club
    requests = list(
        VerificationRequest.objects.filter(club=club, membership=membership)
        .select_related("person", "message")
        .order_by("-created_at", "-pk")[:5]
    )
    verify_contact = contact_for(membership)
    row = invite_rows(club, [membership])[0]
    status = membership.status
    return {
        "membership": membership,
        "requests": requests,
        "verify_contact": verify_contact,
        "can_verify": status in ("pending", "awaiting_verification") and verify_contact,
        "invite": row,
        "can_invite": status == "active" and row["contact"] and not row["has_login"],
        "send_key": new_send_key(),
    }
