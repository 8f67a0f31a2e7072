"""The billing overview, the accountant's exports and the club's billing settings
(issue 8 points 6–7, R-BIL-12). Club admins only; another club's admin gets 404."""

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import accounting, accounting_files, queries
from billing.forms_accounting import BillingSettingsForm, PeriodForm
from billing.models import Invoice
from members.permissions import require_club_admin


@require_club_admin
def overview(request, club_slug):
    """Invoiced against paid per month over the last 12 months; open and overdue now."""
    club, today = request.club, timezone.localdate()
    months = accounting.months(club, today)
    top = max([m.invoiced for m in months] + [m.paid for m in months] + [1])
    invoices = queries.with_amounts(Invoice.objects.filter(club=club))
    context = {
        "months": months,
        "top": top,
        "open": queries.totals(invoices.filter(open_amount__gt=0)),
        "overdue": queries.totals(queries.overdue(invoices, today)),
        "today": today,
    }
    return render(request, "billing/accounting/overview.html", context)


def _default_period() -> dict:
    today = timezone.localdate()
    return {"start": date(today.year, 1, 1), "end": today}


def _period(request) -> PeriodForm:
    """The period asked for; without one, this year up to today."""
    return PeriodForm(request.GET or _default_period())


@require_club_admin
def export_page(request, club_slug):
    """Choose a period; see its reconciliation and download its files."""
    form = _period(request)
    context = {"form": form, "formats": accounting_files.FORMATS}
    if not form.is_valid():
        return render(request, "billing/accounting/export.html", context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    context["recon"] = accounting.reconcile(request.club, start, end)
    context["query"] = f"start={start:%d.%m.%Y}&end={end:%d.%m.%Y}"
    return render(request, "billing/accounting/export.html", context)


@require_club_admin
def export_download(request, club_slug, fmt):
    if fmt not in accounting_files.FORMATS:
        raise Http404
    form = _period(request)
    if not form.is_valid():
        context = {"form": form, "formats": accounting_files.FORMATS}
        return render(request, "billing/accounting/export.html", context, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    return accounting_files.response(request.club, start, end, fmt)


@require_club_admin
def settings_page(request, club_slug):
    instance = accounting.billing_settings(request.club)
    form = BillingSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The billing settings are saved."))
        return redirect("accounting:settings", club_slug=club_slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "billing/accounting/settings.html", {"form": form}, status=status)
