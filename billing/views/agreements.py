"""Agreements (R-BIL-2): the club's list with filters, and per member (the member card's
panel links here) making one for a fee and cancelling one, after a confirmation."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing import queries, services
from billing.filters import AgreementFilter
from billing.forms import AgreementCancelForm, AgreementForm
from billing.models import Agreement
from members.models import Membership
from members.permissions import require_club_admin


@require_club_admin
def agreement_list(request, club_slug):
    club = request.club
    agreements = Agreement.objects.filter(club=club).select_related("fee", "person", "payer")
    agreement_filter = AgreementFilter(request.GET or None, queryset=agreements, club=club)
    rows = agreement_filter.qs.order_by("person__last_name", "person__first_name", "fee__name")
    page = Paginator(rows, settings.MEMBER_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    members = queries.memberships_by_person(club, [a.person_id for a in page.object_list])
    for agreement in page.object_list:
        agreement.member = members.get(agreement.person_id)
    context = {"filter": agreement_filter, "page": page, "query": params.urlencode()}
    return render(request, "billing/agreements.html", context)


def _card_url(club, membership_id) -> str:
    return reverse("members:card", args=[club.slug, membership_id]) + "#panel-agreements"


@require_club_admin
def agreement_create(request, club_slug, membership_id):
    membership = get_object_or_404(
        Membership.objects.filter(club=request.club).select_related("person", "household"),
        pk=membership_id,
    )
    form = AgreementForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = services.create_agreement(
                membership,
                data["fee"],
                source=Agreement.Source.ADMIN,
                next_billing_date=data["next_billing_date"],
                payer=data["payer"],
            )
        except services.BillingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(name)s has an agreement for “%(fee)s”.")
                % {"name": membership.person.full_name, "fee": agreement.fee.name},
            )
            return redirect(_card_url(request.club, membership.pk))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "membership": membership, "person": membership.person}
    return render(request, "billing/agreement_form.html", context, status=status)


@require_club_admin
def agreement_cancel(request, club_slug, agreement_id):
    """A confirmation page with the last day, then the cancellation (R-BIL-2)."""
    agreement = get_object_or_404(
        Agreement.objects.filter(club=request.club).select_related("fee", "person", "payer"),
        pk=agreement_id,
    )
    membership_id = queries.memberships_by_person(request.club, [agreement.person_id]).get(
        agreement.person_id
    )
    back = (
        _card_url(request.club, membership_id)
        if membership_id
        else reverse("billing:agreements", args=[club_slug])
    )
    if agreement.is_cancelled:
        messages.info(request, _("This agreement is cancelled already."))
        return redirect(back)
    form = AgreementCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["ends_on"]
        services.cancel_agreement(agreement, by=request.user, ends_on=day)
        messages.success(
            request,
            _("The agreement “%(fee)s” for %(name)s is cancelled.")
            % {"fee": agreement.fee.name, "name": agreement.person.full_name},
        )
        for line in queries.charges_after(agreement, day):
            messages.warning(
                request,
                _(
                    "Invoice %(number)s bills a period after the last day (from %(start)s): "
                    "credit it if the member should not pay for it."
                )
                % {"number": line.invoice.number, "start": date_format(line.period_start)},
            )
        return redirect(back)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "agreement": agreement, "back": back}
    return render(request, "billing/agreement_cancel.html", context, status=status)
