"""Fees and their price rules (R-BIL-1, R-BIL-3). A fee is never deleted: it is taken
out of use, and a fee in use keeps its kind and period."""

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.forms import FeeForm, PriceRuleForm
from billing.models import Fee, PriceRule
from members.permissions import require_club_admin


def _fee(request, fee_id) -> Fee:
    return get_object_or_404(Fee.objects.filter(club=request.club), pk=fee_id)


@require_club_admin
def fee_list(request, club_slug):
    fees = (
        Fee.objects.filter(club=request.club)
        .select_related("category", "group")
        .annotate(
            live=Count("agreements", filter=Q(agreements__cancelled_at__isnull=True)),
            rule_count=Count("rules", distinct=True),
        )
        .order_by("-is_active", "kind", "name")
    )
    return render(request, "billing/fees.html", {"fees": fees})


@require_club_admin
def fee_create(request, club_slug):
    form = FeeForm(request.POST or None, club=request.club)
    if request.method == "POST" and form.is_valid():
        fee = form.save()
        messages.success(request, _("The fee “%(name)s” is made.") % {"name": fee.name})
        return redirect("billing:fee", club_slug=club_slug, fee_id=fee.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "billing/fee_form.html", {"form": form}, status=status)


@require_club_admin
def fee_edit(request, club_slug, fee_id):
    fee = _fee(request, fee_id)
    form = FeeForm(request.POST or None, instance=fee, club=request.club)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The fee is saved."))
        return redirect("billing:fee", club_slug=club_slug, fee_id=fee.pk)
    context = {
        "form": form,
        "fee": fee,
        "rules": fee.rules.order_by("kind", "sort_order", "pk"),
        "live": fee.agreements.filter(cancelled_at__isnull=True).count(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "billing/fee_form.html", context, status=status)


@require_POST
@require_club_admin
def fee_active(request, club_slug, fee_id):
    """Take a fee out of use, or back into use. Its running agreements go on until they
    are cancelled; no new agreement is made for a fee out of use."""
    fee = _fee(request, fee_id)
    fee.is_active = request.POST.get("active") == "1"
    fee.save(update_fields=["is_active"])
    if fee.is_active:
        messages.success(request, _("The fee is in use again."))
    else:
        messages.success(
            request,
            _(
                "The fee is out of use: no new agreements; running agreements go on until "
                "cancelled."
            ),
        )
    return redirect("billing:fee", club_slug=club_slug, fee_id=fee.pk)


@require_club_admin
def rule_create(request, club_slug, fee_id):
    fee = _fee(request, fee_id)
    return _rule_form(request, fee, PriceRule(club=request.club, fee=fee))


@require_club_admin
def rule_edit(request, club_slug, rule_id):
    rule = get_object_or_404(
        PriceRule.objects.filter(club=request.club).select_related("fee"), pk=rule_id
    )
    return _rule_form(request, rule.fee, rule)


def _rule_form(request, fee, rule):
    form = PriceRuleForm(request.POST or None, instance=rule, fee=fee)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, _("The price rule is saved. It applies to invoices made from now.")
        )
        return redirect("billing:fee", club_slug=request.club.slug, fee_id=fee.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "fee": fee, "rule": rule}
    return render(request, "billing/rule_form.html", context, status=status)


@require_POST
@require_club_admin
def rule_delete(request, club_slug, rule_id):
    """Invoices made before keep their line's rule text: removing a rule changes only
    invoices made from now."""
    rule = get_object_or_404(PriceRule.objects.filter(club=request.club), pk=rule_id)
    fee_id = rule.fee_id
    rule.delete()
    messages.success(request, _("The price rule is removed."))
    return redirect("billing:fee", club_slug=club_slug, fee_id=fee_id)
