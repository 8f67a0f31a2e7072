"""Invoices (R-BIL-5, R-BIL-9): the list with search, filters and totals, and one
invoice with its lines, credit notes and payments, and the admin's actions on it:
credit (full or part), a payment registered by hand, a refund of a paid invoice."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import queries, refunds, services
from billing.filters import InvoiceFilter
from billing.forms import CreditForm, PaymentForm, RefundForm
from billing.models import Invoice, Payment
from members.permissions import require_club_admin
from members.validators import format_bank_account

PAGE_SIZE = 50
# A reference typed by the admin is unique per (club, provider, reference): the same
# payment registered twice is one payment.
PAYMENT_PROVIDER = "manual"


@require_club_admin
def invoice_list(request, club_slug):
    club = request.club
    invoices = queries.with_amounts(Invoice.objects.filter(club=club))
    invoice_filter = InvoiceFilter(request.GET or None, queryset=invoices, club=club)
    rows = invoice_filter.qs.order_by("-number")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filter": invoice_filter,
        "page": page,
        "totals": queries.totals(rows),
        "query": params.urlencode(),
        "today": timezone.localdate(),
        "run": invoice_filter.form.cleaned_data.get("run") if invoice_filter.is_bound else None,
    }
    return render(request, "billing/invoices.html", context)


def _invoice(request, invoice_id) -> Invoice:
    invoices = queries.with_amounts(Invoice.objects.filter(club=request.club))
    return get_object_or_404(invoices.select_related("run", "recipient"), pk=invoice_id)


def _detail(request, invoice, *, status=200, **forms):
    seen = services.money_state(invoice)
    today = timezone.localdate()
    lines = list(invoice.lines.select_related("person").order_by("position"))
    persons = [invoice.recipient_id, *(line.person_id for line in lines if line.person_id)]
    members = queries.memberships_by_person(request.club, persons)
    for line in lines:
        line.member = members.get(line.person_id)
    creditable = invoice.total - invoice.credited
    context = {
        "invoice": invoice,
        "lines": lines,
        "recipient_member": members.get(invoice.recipient_id),
        "seller_account": format_bank_account(invoice.seller_account),
        "today": today,
        "credit_notes": invoice.credit_notes.order_by("number"),
        "payments": invoice.payments.order_by("paid_on", "pk"),
        "creditable": creditable,
        "can_credit": invoice.status != Invoice.Status.PAID and creditable > 0,
        "can_pay": invoice.open_amount > 0,
        "can_refund": invoice.status == Invoice.Status.PAID and invoice.paid > 0,
        "credit_form": forms.get("credit_form") or CreditForm(initial={"seen": seen}),
        "payment_form": forms.get("payment_form")
        or PaymentForm(initial={"seen": seen, "amount": invoice.open_amount, "paid_on": today}),
        "refund_form": forms.get("refund_form")
        or RefundForm(initial={"seen": seen, "paid_on": today}),
    }
    return render(request, "billing/invoice_detail.html", context, status=status)


@require_club_admin
def invoice_detail(request, club_slug, invoice_id):
    return _detail(request, _invoice(request, invoice_id))


def _act(request, invoice, form, key, action):
    """Run ``action(data)`` under the page's guard (``services.unchanged_since``); a bad
    form or a refusal shows the page again with the error and the input kept."""
    if not form.is_valid():
        return _detail(request, invoice, status=400, **{key: form})
    try:
        with services.unchanged_since(invoice, form.cleaned_data["seen"]):
            message = action(form.cleaned_data)
    except services.BillingError as exc:
        if form.cleaned_data["seen"] != services.money_state(invoice):
            messages.error(request, str(exc))  # changed meanwhile: show the fresh page
            return redirect("billing:invoice", club_slug=request.club.slug, invoice_id=invoice.pk)
        form.add_error(None, str(exc))
        return _detail(request, invoice, status=400, **{key: form})
    messages.success(request, message)
    return redirect("billing:invoice", club_slug=request.club.slug, invoice_id=invoice.pk)


@require_POST
@require_club_admin
def invoice_credit(request, club_slug, invoice_id):
    """A credit note for an unpaid invoice, in full or in part (R-BIL-9)."""
    invoice = _invoice(request, invoice_id)

    def credit(data):
        note = services.credit_invoice(
            invoice, amount=data["amount"], by=request.user, reason=data["reason"]
        )
        return _("Credit note %(number)s is made.") % {"number": note.number}

    return _act(request, invoice, CreditForm(request.POST), "credit_form", credit)


@require_POST
@require_club_admin
def invoice_payment(request, club_slug, invoice_id):
    """Money received outside the system (cash, a bank transfer without KID)."""
    invoice = _invoice(request, invoice_id)

    def pay(data):
        _payment, created = services.record_payment(
            invoice,
            club=request.club,
            amount=data["amount"],
            method=Payment.Method.MANUAL,
            paid_on=data["paid_on"],
            provider=PAYMENT_PROVIDER if data["reference"] else "",
            reference=data["reference"],
        )
        if not created:
            return _("A payment with this reference is registered already; nothing was added.")
        return _("The payment is registered.")

    return _act(request, invoice, PaymentForm(request.POST), "payment_form", pay)


@require_POST
@require_club_admin
def invoice_refund(request, club_slug, invoice_id):
    """Money paid back on a paid invoice, with a credit note for it (issue 8, R-BIL-9)."""
    invoice = _invoice(request, invoice_id)

    def refund(data):
        _refund, note = refunds.refund_invoice(
            invoice,
            amount=data["amount"],
            paid_on=data["paid_on"],
            reference=data["reference"],
            reason=data["reason"],
            by=request.user,
        )
        if note is None:
            return _("The refund of the overpayment is registered.")
        return _("The refund is registered with credit note %(number)s.") % {"number": note.number}

    return _act(request, invoice, RefundForm(request.POST), "refund_form", refund)
