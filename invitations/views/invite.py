"""The club admin's invitations (R-REG-1): "Invite" from the member overview, the list
of invitations with their status, and sending one again or revoking it. Club admins
only."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from invitations import services
from invitations.forms import InviteForm
from invitations.models import Invitation, InvitationState
from members.permissions import require_club_admin

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
@require_club_admin
def invite(request, club_slug):
    """The form: addresses pasted as a list; invalid ones named back, nothing lost."""
    club = request.club
    form = InviteForm(request.POST or None, initial={"send_key": services.new_send_key()})
    if request.method == "POST" and form.is_valid():
        result = services.send_invitations(
            club,
            form.cleaned_data["recipients"],
            by=request.user,
            key=form.cleaned_data["send_key"],
        )
        _report(request, result, form.parsed.duplicates)
        return redirect("invites:list", club_slug=club.slug)
    return render(
        request,
        "invitations/invite_form.html",
        {"form": form, "valid_days": services.INVITATION_VALID_DAYS},
        status=400 if form.errors else 200,
    )


def _report(request, result, duplicates: int) -> None:
    if result.sent:
        messages.success(
            request,
            ngettext(
                "%(n)d invitation is on its way.",
                "%(n)d invitations are on their way.",
                len(result.sent),
            )
            % {"n": len(result.sent)},
        )
    if result.open_already:
        addresses = ", ".join(i.address for i in result.open_already)
        messages.warning(
            request,
            _(
                "Not sent again: %(addresses)s had an open invitation already. Use “Send "
                "again” in the list to send a new link."
            )
            % {"addresses": addresses},
        )
    if duplicates:
        messages.info(
            request,
            ngettext(
                "%(n)d address was in the list twice and is invited once.",
                "%(n)d addresses were in the list more than once and are invited once.",
                duplicates,
            )
            % {"n": duplicates},
        )
    if result.repeated:
        messages.info(request, _("These invitations were sent already (the form was sent twice)."))


@require_club_admin
def invitation_list(request, club_slug):
    """Every invitation of the club, newest first, filtered by status, with counts."""
    club = request.club
    state = request.GET.get("state", "")
    invitations = (
        Invitation.objects.filter(club=club)
        .with_state()
        .select_related("invited_by", "user", "email_message", "sms_message")
        .order_by("-created_at", "-pk")
    )
    if state in InvitationState.values:
        invitations = invitations.filter(state_now=state)
    else:
        state = ""
    page = Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = services.list_counts(club)
    filters = [("", _("All"), sum(counts.values()))] + [
        (value, label, counts[value]) for value, label in InvitationState.choices
    ]
    return render(
        request,
        "invitations/invitation_list.html",
        {"page": page, "state": state, "filters": filters},
    )


def _invitation(request, invitation_id) -> Invitation:
    return get_object_or_404(
        Invitation.objects.filter(club=request.club).select_related("club"), pk=invitation_id
    )


@require_http_methods(["GET", "POST"])
@require_club_admin
def resend(request, club_slug, invitation_id):
    """GET: what sending again does. POST: a new link, the old one stops working."""
    invitation = _invitation(request, invitation_id)
    if request.method == "POST":
        seen = request.POST.get("round", "")
        try:
            done = services.resend_invitation(
                invitation, by=request.user, seen_round=int(seen) if seen.isdigit() else None
            )
        except services.InvitationError as exc:
            messages.error(request, str(exc))
        else:
            if done:
                messages.success(
                    request,
                    _("The invitation to %(address)s is sent again with a new link.")
                    % {"address": invitation.address},
                )
            else:
                messages.info(request, _("This invitation was sent again already."))
        return redirect("invites:list", club_slug=club_slug)
    return _confirm(request, invitation, "resend")


@require_http_methods(["GET", "POST"])
@require_club_admin
def revoke(request, club_slug, invitation_id):
    """GET: what revoking does. POST: the link stops working and says so."""
    invitation = _invitation(request, invitation_id)
    if request.method == "POST":
        try:
            done = services.revoke_invitation(invitation, by=request.user)
        except services.InvitationError as exc:
            messages.error(request, str(exc))
        else:
            if done:
                messages.success(
                    request,
                    _("The invitation to %(address)s is revoked.")
                    % {"address": invitation.address},
                )
            else:
                messages.info(request, _("This invitation was revoked already."))
        return redirect("invites:list", club_slug=club_slug)
    return _confirm(request, invitation, "revoke")


def _confirm(request, invitation, action: str):
    return render(
        request,
        "invitations/invitation_confirm.html",
        {
            "invitation": invitation,
            "action": action,
            "valid_days": services.INVITATION_VALID_DAYS,
        },
    )
