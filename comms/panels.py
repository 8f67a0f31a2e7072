"""The member card's message panel (R-COM-4, R-ACT-7): what was sent to the member, and to
their guardians about them, with status and reason."""

from django.db.models import Q

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
