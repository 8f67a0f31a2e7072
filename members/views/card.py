from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import services
from members.actions import page_actions
from members.models import Membership
from members.panels import member_card_panels
from members.permissions import can_reveal_national_id, require_club_admin, visible_memberships


def _membership(request, membership_id) -> Membership:
    return get_object_or_404(
        visible_memberships(request.club_access).select_related("person", "category"),
        pk=membership_id,
    )


def member_card(request, club_slug, membership_id):
    """Everything about one member of this club (R-MEM-4)."""
    membership = _membership(request, membership_id)
    return render(
        request,
        "members/member_card.html",
        {
            "membership": membership,
            "person": membership.person,
            "panels": member_card_panels(request, membership),
            "can_reveal": can_reveal_national_id(request.club_access),
            "actions": page_actions(request, "member_card", membership),
        },
    )


@require_POST
@require_club_admin
def reveal_national_id(request, club_slug, membership_id):
    """The explicit reveal of a national id number; logged in the history (R-SEC-3)."""
    membership = _membership(request, membership_id)
    number = services.reveal_national_id(membership.person, user=request.user, club=request.club)
    if not number:
        raise Http404
    if request.htmx:
        return render(request, "members/_national_id.html", {"number": number})
    messages.info(request, _("National id number: %(number)s") % {"number": number})
    return redirect("members:card", club_slug=club_slug, membership_id=membership.pk)


@require_POST
@require_club_admin
def change_status(request, club_slug, membership_id):
    membership = _membership(request, membership_id)
    try:
        services.change_status(
            membership,
            request.POST.get("status", ""),
            by=request.user,
            reason=request.POST.get("reason", ""),
        )
    except services.MembersError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The membership is now “%(status)s”.") % {"status": membership.get_status_display()},
        )
    return redirect("members:card", club_slug=club_slug, membership_id=membership.pk)
