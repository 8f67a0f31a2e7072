"""AvtaleGiro pages (R-BIL-7, issue 8): the mandates per member (register and cancel
after a confirmation), the claim files with download, and the claims of a file. The
rules are in ``billing.avtalegiro``."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from billing import avtalegiro, queries
from billing.avtalegiro import pages
from billing.avtalegiro.forms import MandateForm, WriteClaimsForm
from billing.models import AvtaleGiroMandate, ClaimFile
from members.models import Membership
from members.permissions import require_club_admin


def _card_url(club, membership_id) -> str:
    return reverse("members:card", args=[club.slug, membership_id]) + "#panel-avtalegiro"


@require_club_admin
def mandate_list(request, club_slug):
    club = request.club
    state = request.GET.get("state", "active")
    mandates = avtalegiro.club_mandates(club)
    if state in AvtaleGiroMandate.Status.values:
        mandates = mandates.filter(status=state)
    page = Paginator(mandates, settings.MEMBER_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    members = queries.memberships_by_person(club, [m.payer_id for m in page.object_list])
    for mandate in page.object_list:
        mandate.membership_id = members.get(mandate.payer_id)
    context = {"page": page, "state": state, "states": AvtaleGiroMandate.Status.choices}
    return render(request, "billing/avtalegiro/mandates.html", context)


@require_club_admin
def mandate_register(request, club_slug, membership_id):
    club = request.club
    membership = get_object_or_404(
        Membership.objects.filter(club=club).select_related("person"), pk=membership_id
    )
    person = membership.person
    back = _card_url(club, membership.pk)
    existing = avtalegiro.active_mandate(club, person)
    form = MandateForm(request.POST or None)
    if request.method == "POST" and existing is None and form.is_valid():
        try:
            avtalegiro.register_mandate(
                club,
                person,
                source=AvtaleGiroMandate.Source.ADMIN,
                notify_by_bank=form.cleaned_data["notify_by_bank"],
                bank_reference=form.cleaned_data["bank_reference"],
            )
        except avtalegiro.AvtaleGiroError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("AvtaleGiro is registered for %(name)s: their invoices are debited from now.")
                % {"name": person.full_name},
            )
            return redirect(back)
    if existing is not None and request.method == "POST":
        messages.info(request, _("%(name)s has AvtaleGiro already.") % {"name": person.full_name})
        return redirect(back)
    context = {
        "form": form,
        "person": person,
        "existing": existing,
        "back": back,
        "kid": pages.card_context(club, person)["kid"],
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "billing/avtalegiro/register.html", context, status=status)


@require_club_admin
def mandate_cancel(request, club_slug, mandate_id):
    club = request.club
    mandate = get_object_or_404(
        AvtaleGiroMandate.objects.filter(club=club).select_related("payer"), pk=mandate_id
    )
    membership_id = queries.memberships_by_person(club, [mandate.payer_id]).get(mandate.payer_id)
    back = (
        _card_url(club, membership_id)
        if membership_id
        else reverse("avtalegiro:mandates", args=[club.slug])
    )
    if request.method == "POST":
        if mandate.status == AvtaleGiroMandate.Status.CANCELLED:
            messages.info(request, _("This AvtaleGiro agreement was cancelled already."))
        else:
            avtalegiro.cancel_mandate(mandate)
            messages.success(
                request,
                _("AvtaleGiro is cancelled for %(name)s: their next invoices carry a giro.")
                % {"name": mandate.payer.full_name},
            )
        return redirect(back)
    return render(request, "billing/avtalegiro/cancel.html", {"mandate": mandate, "back": back})


@require_club_admin
def claim_files(request, club_slug):
    club = request.club
    today = timezone.localdate()
    club_settings = avtalegiro.billing_settings(club)
    files = Paginator(pages.claim_files(club), settings.MEMBER_LIST_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "files": files,
        "form": WriteClaimsForm(),
        "claimable": avtalegiro.claimable(club, today).count(),
        "unclaimable": avtalegiro.unclaimable(club, today).count(),
        "lead_days": avtalegiro.lead_days(club_settings),
        "nets_ready": bool(club_settings.nets_customer_id and club_settings.nets_agreement_id),
    }
    return render(request, "billing/avtalegiro/files.html", context)


@require_POST
@require_club_admin
def claim_write(request, club_slug):
    """Write the claim file. A second click (or two admins at once) writes nothing twice:
    the claims are recorded under the club's lock, and a re-run finds nothing to claim."""
    club = request.club
    form = WriteClaimsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date as dd.mm.yyyy."))
        return redirect("avtalegiro:files", club_slug=club.slug)
    on_date = form.cleaned_data["on_date"]
    try:
        claim_file = avtalegiro.write_claims(club, on_date, by=request.user)
    except avtalegiro.AvtaleGiroError as exc:
        messages.error(request, str(exc))
        return redirect("avtalegiro:files", club_slug=club.slug)
    moved = avtalegiro.send_unclaimable_as_invoices(club, on_date)
    if moved:
        messages.warning(
            request,
            ngettext(
                "%(n)s invoice was too close to its due date for AvtaleGiro: it was sent "
                "again as an ordinary invoice.",
                "%(n)s invoices were too close to their due date for AvtaleGiro: they were "
                "sent again as ordinary invoices.",
                len(moved),
            )
            % {"n": len(moved)},
        )
    if claim_file is None:
        messages.info(
            request,
            _("Nothing to claim on %(date)s: no file was written.")
            % {"date": date_format(on_date, "SHORT_DATE_FORMAT")},
        )
        return redirect("avtalegiro:files", club_slug=club.slug)
    messages.success(
        request,
        ngettext(
            "The claim file is written with %(n)s claim. Download it and send it to Nets.",
            "The claim file is written with %(n)s claims. Download it and send it to Nets.",
            claim_file.count,
        )
        % {"n": claim_file.count},
    )
    return redirect("avtalegiro:file", club_slug=club.slug, claim_file_id=claim_file.pk)


def _claim_file(request, claim_file_id) -> ClaimFile:
    return get_object_or_404(ClaimFile.objects.filter(club=request.club), pk=claim_file_id)


@require_club_admin
def claim_file(request, club_slug, claim_file_id):
    claim_file = _claim_file(request, claim_file_id)
    context = {"claim_file": claim_file, "claims": pages.file_claims(claim_file)}
    return render(request, "billing/avtalegiro/file.html", context)


@require_club_admin
def claim_file_download(request, club_slug, claim_file_id):
    claim_file = _claim_file(request, claim_file_id)
    name = f"avtalegiro-{claim_file.kind}-{claim_file.transmission_number}.txt"
    return FileResponse(
        claim_file.file.open("rb"), as_attachment=True, filename=name, content_type="text/plain"
    )
