"""Approve or reject a membership sent for approval, from the member card (R-REG-7 (i)).
Club admins only.

The card's approval panel posts the comment here; the page then says what will happen
(status, first invoice, who is told and at which address) and asks to confirm. The
confirmation's POST decides, and goes back to the card. A GET shows the same page with
an empty comment, so the address works on its own.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from invitations.forms.approval import DecisionForm
from invitations.models import ApprovalDecision
from invitations.services import approval, new_send_key
from members.permissions import require_club_admin, visible_memberships

Outcome = ApprovalDecision.Outcome


@require_http_methods(["GET", "POST"])
@require_club_admin
def approve(request, club_slug, membership_id):
    return _decide(request, membership_id, Outcome.APPROVED)


@require_http_methods(["GET", "POST"])
@require_club_admin
def reject(request, club_slug, membership_id):
    return _decide(request, membership_id, Outcome.REJECTED)


def _decide(request, membership_id, outcome: str):
    membership = get_object_or_404(
        visible_memberships(request.club_access).select_related("person", "category", "club"),
        pk=membership_id,
    )
    data = request.POST if request.method == "POST" else None
    form = DecisionForm(data, outcome=outcome, initial={"key": new_send_key()})
    if form.is_valid() and form.cleaned_data["confirmed"]:
        do = approval.approve if outcome == Outcome.APPROVED else approval.reject
        try:
            done = do(
                membership,
                by=request.user,
                comment=form.cleaned_data["comment"],
                key=form.cleaned_data["key"],
            )
        except approval.ApprovalRefused as exc:
            messages.error(request, str(exc))
        else:
            _report(request, done)
        return redirect("members:card", club_slug=request.club.slug, membership_id=membership.pk)
    return render(
        request,
        "invitations/approval/confirm.html",
        {
            "membership": membership,
            "person": membership.person,
            "outcome": outcome,
            "form": form,
            # the panel's key goes on, so the card's form and this page are one decision
            "key": (form.cleaned_data.get("key") if form.is_bound else "") or new_send_key(),
            "state": approval.pending(membership),
        },
        status=400 if form.errors else 200,
    )


def _report(request, done: approval.Decided) -> None:
    if not done.new:
        messages.info(request, _("This decision was made already (the form was sent twice)."))
        return
    if done.decision.outcome == Outcome.APPROVED:
        text = _("The membership is approved and active.")
        if done.first_invoice:
            text += " " + _("The first invoice is made on %(date)s.") % {
                "date": done.first_invoice.strftime("%d.%m.%Y")
            }
    else:
        text = _("The request for membership is rejected.")
    messages.success(request, text)
    if done.contact is None:
        messages.warning(
            request,
            _(
                "Neither the member nor a guardian has an e-mail address: no e-mail was sent. "
                "Tell them yourself."
            ),
        )
    else:
        messages.info(
            request, _("An e-mail is on its way to %(email)s.") % {"email": done.contact.email}
        )
