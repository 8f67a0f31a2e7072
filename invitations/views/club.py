"""The club admin's activation pages (R-ACT-1, R-ACT-2, R-ACT-5): activate the club,
send verification again, send Min side invitations. Club admins only."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from invitations import services, tasks
from invitations.listing import invite_rows
from members.permissions import require_club_admin, visible_memberships

PAGE_SIZE = 100


@require_club_admin
def activation(request, club_slug):
    """Where the club stands, the members nobody can be asked (no e-mail), the sends in
    progress, and the buttons: activate, send verification again to all unverified,
    Min side invitations."""
    return render(
        request,
        "invitations/activation.html",
        {
            "overview": services.activation_overview(request.club),
            "batches": services.running_batches(request.club),
            "send_key": services.new_send_key(),
            "hours": settings.VERIFICATION_LINK_HOURS,
        },
    )


@require_club_admin
def progress(request, club_slug):
    """Polled by htmx while sends run; asks for a reload when none is left."""
    batches = services.running_batches(request.club)
    if not batches:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "invitations/_sends.html", {"batches": batches})


@require_club_admin
def activate(request, club_slug):
    """GET: the confirmation step (how many e-mails will go). POST: activate, then back
    to the activation page, which lists the members without e-mail."""
    club = request.club
    if request.method == "POST":
        batch, new = services.new_batch(
            club,
            label=_("Verification e-mails"),
            by=request.user,
            key=request.POST.get("send_key"),
        )
        if new:
            user_id = request.user.pk
            transaction.on_commit(lambda: tasks.activate_club.delay(club.pk, user_id, batch.pk))
            messages.success(
                request,
                _(
                    "The club is being activated: the verification e-mails are prepared and "
                    "sent in the background."
                ),
            )
        else:
            messages.info(request, _("This activation was started already."))
        return redirect("activation:index", club_slug=club.slug)
    return render(
        request,
        "invitations/activate_confirm.html",
        {
            "overview": services.activation_overview(club),
            "hours": settings.VERIFICATION_LINK_HOURS,
            "send_key": services.new_send_key(),
        },
    )


@require_POST
@require_club_admin
def resend_all(request, club_slug):
    """A new link to every unverified member (the old links stop working), sent in the
    background."""
    club, key = request.club, services.clean_key(request.POST.get("send_key"))
    batch, new = services.new_batch(
        club, label=_("Verification e-mails (sent again)"), by=request.user, key=key
    )
    if new:
        user_id = request.user.pk
        transaction.on_commit(
            lambda: tasks.resend_verifications.delay(club.pk, user_id, batch.pk, key)
        )
        messages.success(
            request,
            _("New verification e-mails are prepared and sent to the unverified members."),
        )
    else:
        messages.info(request, _("These e-mails were sent already (the form was sent twice)."))
    return redirect("activation:index", club_slug=club_slug)


def _membership(request, membership_id):
    return get_object_or_404(
        visible_memberships(request.club_access).select_related("person"), pk=membership_id
    )


@require_POST
@require_club_admin
def verify_member(request, club_slug, membership_id):
    """From the member card: send the verification e-mail (again) to one member."""
    membership = _membership(request, membership_id)
    try:
        verification = services.send_verification(
            membership, by=request.user, key=request.POST.get("send_key")
        )
    except services.InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("A verification e-mail is on its way to %(email)s.") % {"email": verification.email},
        )
    return redirect("members:card", club_slug=club_slug, membership_id=membership.pk)


@require_POST
@require_club_admin
def invite_member(request, club_slug, membership_id):
    """From the member card: send a Min side invitation to one member (or guardian)."""
    membership = _membership(request, membership_id)
    result = services.send_min_side_invites(
        request.club, [membership], by=request.user, key=request.POST.get("send_key")
    )
    _report_invites(request, result)
    return redirect("members:card", club_slug=club_slug, membership_id=membership.pk)


@require_club_admin
def min_side_invites(request, club_slug):
    """R-ACT-5: Min side invitations to selected active members or to all of them."""
    club = request.club
    if request.method == "POST":
        key = services.clean_key(request.POST.get("send_key"))
        chosen = [int(v) for v in request.POST.getlist("membership") if v.isdigit()]
        if request.POST.get("scope") == "all":
            _invite_all(request, key)
        elif not chosen:
            messages.error(request, _("Select at least one member, or send to all."))
        else:
            result = services.send_min_side_invites(club, chosen, by=request.user, key=key)
            _report_invites(request, result)
        page = request.POST.get("page", "")
        url = request.path + (f"?page={page}" if page.isdigit() else "")
        return redirect(url)
    memberships = (
        services.active_memberships(club)
        .select_related("person", "category")
        .prefetch_related("person__guardians")
        .order_by("person__last_name", "person__first_name", "pk")
    )
    page = Paginator(memberships, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "invitations/min_side_invites.html",
        {
            "page": page,
            "rows": invite_rows(club, page.object_list),
            "send_key": services.new_send_key(),
            "total": page.paginator.count,
            "batches": services.running_batches(club),
        },
    )


def _invite_all(request, key: str) -> None:
    """All active members: many e-mails, so prepared in the background."""
    club = request.club
    batch, new = services.new_batch(club, label=_("Min side invitations"), by=request.user, key=key)
    if not new:
        messages.info(request, _("These invitations were sent already (the form was sent twice)."))
        return
    user_id = request.user.pk
    transaction.on_commit(lambda: tasks.invite_all_active.delay(club.pk, user_id, batch.pk, key))
    messages.success(
        request,
        _(
            "Min side invitations are prepared and sent in the background to the active "
            "members who have no login yet."
        ),
    )


def _report_invites(request, result) -> None:
    if result.queued:
        messages.success(
            request,
            ngettext(
                "%(n)d Min side invitation is on its way.",
                "%(n)d Min side invitations are on their way.",
                result.queued,
            )
            % {"n": result.queued},
        )
    if result.has_login:
        messages.info(
            request,
            ngettext(
                "%(n)d person has a login already and needs no invitation.",
                "%(n)d persons have a login already and need no invitation.",
                result.has_login,
            )
            % {"n": result.has_login},
        )
    if result.without_email:
        messages.warning(
            request,
            ngettext(
                "%(n)d member has no e-mail address (nor a guardian with one).",
                "%(n)d members have no e-mail address (nor a guardian with one).",
                len(result.without_email),
            )
            % {"n": len(result.without_email)},
        )
    if result.not_active:
        messages.warning(
            request,
            ngettext(
                "%(n)d membership is not active: no invitation.",
                "%(n)d memberships are not active: no invitation.",
                result.not_active,
            )
            % {"n": result.not_active},
        )
    if result.repeated:
        messages.info(request, _("These invitations were sent already (the form was sent twice)."))
    elif not (result.queued or result.has_login or result.without_email or result.not_active):
        messages.info(request, _("No invitation was sent."))
