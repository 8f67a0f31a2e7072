"""Message panels (R-COM-4, R-ACT-7): on the member card, what was sent to the member and
to their guardians about them, with status and reason; on Min side, what a person
received, in every club."""

from django.db.models import Q
from django_scopes import scopes_disabled

from comms.models import OutboundMessage


def messages_panel_context(request, membership) -> dict:
    person = membership.person
    messages = (
        OutboundMessage.objects.filter(club=request.club)
        .filter(Q(person=person) | Q(about_person=person))
        .select_related("person")
        .order_by("-created_at")[:50]
    )
    return {"messages": list(messages), "member": person}


MIN_SIDE_LIMIT = 30


def min_side_messages_context(request, person) -> dict | None:
    """Min side (R-ACT-6): for the logged-in person, the messages they received; for one of
    their children, the messages sent to the child and those the user received about the
    child. Min side's views have checked that ``person`` is the user's own or their
    child's, so the scope is lifted for exactly these rows."""
    own = request.user.person_id
    if person.pk == own:
        wanted = Q(person_id=own, about_person__isnull=True) | Q(person_id=own, about_person=own)
    else:
        wanted = Q(person=person) | Q(person_id=own, about_person=person)
    with scopes_disabled():
        messages = list(
            OutboundMessage.objects.filter(wanted)
            .select_related("club")
            .order_by("-created_at")[:MIN_SIDE_LIMIT]
        )
    if not messages:
        return None
    return {"messages": messages}
