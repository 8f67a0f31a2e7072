"""Payments (R-BIL-7, issue 8 points 3 and 7): OCR Giro files uploaded and listed, every
payment with filters and totals, and the unmatched payments that the admin places on an
invoice of the club. The rules are in ``billing.ocr``."""

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from billing import ocr, queries
from billing.filters import InvoiceFilter
from billing.forms_ocr import PaymentFilter, PlaceForm, UploadForm
from billing.models import Invoice, Payment, PaymentFile
from members.permissions import require_club_admin

PAGE_SIZE = 50
CANDIDATES = 20  # invoices shown when placing a payment


def _query(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _unmatched(club):
    return Payment.objects.filter(club=club, invoice__isnull=True, kind=Payment.Kind.PAYMENT)


def _render(request, template, context, status=200):
    """A payments page, with the count of unmatched payments for its tabs."""
    context["unmatched_count"] = _unmatched(request.club).count()
    return render(request, template, context, status=status)


def _totals(payments) -> dict:
    sums = payments.order_by().aggregate(
        count=Count("pk"),
        total=Sum("amount"),
        unmatched=Sum("amount", filter=Q(invoice__isnull=True)),
        unmatched_count=Count("pk", filter=Q(invoice__isnull=True)),
    )
    return {key: value or (Decimal("0.00") if key != "count" else 0) for key, value in sums.items()}


def _with_balances(rows) -> list[Payment]:
    """The page's payments with their invoice's balance (negative when overpaid)."""
    rows = list(rows)
    invoices = queries.with_amounts(
        Invoice.objects.filter(pk__in={p.invoice_id for p in rows if p.invoice_id})
    )
    balances = {inv.pk: inv.total - inv.credited - inv.paid for inv in invoices}
    for payment in rows:
        payment.balance = balances.get(payment.invoice_id)
    return rows


def _payments(request, payments, template):
    payment_filter = PaymentFilter(request.GET or None, queryset=payments, club=request.club)
    rows = payment_filter.qs.select_related("invoice", "payment_file").order_by("-paid_on", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_balances(page.object_list)
    context = {
        "filter": payment_filter,
        "page": page,
        "totals": _totals(rows),
        "query": _query(request),
    }
    return _render(request, template, context)


@require_club_admin
def payment_list(request, club_slug):
    """Every payment and refund of the club."""
    payments = Payment.objects.filter(club=request.club)
    return _payments(request, payments, "billing/ocr/payments.html")


@require_club_admin
def unmatched_list(request, club_slug):
    """Payments whose KID matched no invoice of the club, waiting to be placed."""
    return _payments(request, _unmatched(request.club), "billing/ocr/unmatched.html")


@require_club_admin
def file_list(request, club_slug):
    """The OCR files imported, and the upload of a new one."""
    club = request.club
    posted = request.method == "POST"
    form = UploadForm(request.POST, request.FILES) if posted else UploadForm()
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            payment_file = ocr.import_ocr(club, upload.read(), upload.name, by=request.user)
        except ocr.AlreadyImported as exc:  # also a double submit: show the first import
            messages.warning(request, str(exc))
            return redirect("ocr:file", club_slug=club.slug, payment_file_id=exc.payment_file.pk)
        except ocr.OcrError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, _("The file is imported.") + " " + ocr.summary(payment_file))
            changes = ocr.mandate_summary(payment_file.mandates)
            if changes:
                messages.info(request, changes)
            return redirect("ocr:file", club_slug=club.slug, payment_file_id=payment_file.pk)
    files = PaymentFile.objects.filter(club=club).select_related("imported_by")
    page = Paginator(files.order_by("-imported_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    status = 400 if posted else 200
    context = {"form": form, "page": page, "query": ""}
    return _render(request, "billing/ocr/files.html", context, status=status)


@require_club_admin
def file_detail(request, club_slug, payment_file_id):
    """One imported file: its counts and its payments."""
    payment_file = get_object_or_404(
        PaymentFile.objects.filter(club=request.club).select_related("imported_by"),
        pk=payment_file_id,
    )
    payments = Payment.objects.filter(club=request.club, payment_file=payment_file)
    rows = _with_balances(payments.select_related("invoice").order_by("pk")[:PAGE_SIZE])
    context = {"payment_file": payment_file, "rows": rows, "count": payments.count()}
    return _render(request, "billing/ocr/file.html", context)


def _place_page(request, payment, *, chosen=None, status=200):
    """The payment, invoices of the club to choose from (found by number, KID or name;
    without a search, the open invoices of the same amount), and the chosen one to
    confirm."""
    club = request.club
    invoices = queries.with_amounts(Invoice.objects.filter(club=club))
    q = request.GET.get("q", "").strip()
    if q:
        candidates = InvoiceFilter({"q": q}, queryset=invoices, club=club).qs
    else:
        candidates = invoices.filter(open_amount=payment.amount)
    context = {
        "payment": payment,
        "q": q,
        "candidates": list(candidates.order_by("-number")[:CANDIDATES]),
        "chosen": chosen,
        "after": chosen.total - chosen.credited - chosen.paid - payment.amount if chosen else None,
        "form": PlaceForm(initial={"invoice": chosen.pk}) if chosen else None,
    }
    return _render(request, "billing/ocr/place.html", context, status=status)


def _payment(request, payment_id) -> Payment:
    return get_object_or_404(
        Payment.objects.filter(club=request.club).select_related("invoice", "payment_file"),
        pk=payment_id,
    )


def _invoice(request, invoice_id) -> Invoice:
    """An invoice of the admin's club (another club's invoice is not found: 404)."""
    invoices = queries.with_amounts(Invoice.objects.filter(club=request.club))
    return get_object_or_404(invoices, pk=invoice_id)


@require_club_admin
def place(request, club_slug, payment_id):
    """Choose the invoice for an unmatched payment (GET), then place it (POST)."""
    payment = _payment(request, payment_id)
    if request.method == "POST":
        form = PlaceForm(request.POST)
        if not form.is_valid():
            return _place_page(request, payment, status=400)
        invoice = _invoice(request, form.cleaned_data["invoice"])
        try:
            ocr.assign_payment(payment, invoice, by=request.user)
        except ocr.OcrError as exc:
            messages.error(request, str(exc))
            return redirect("ocr:unmatched", club_slug=club_slug)
        messages.success(
            request,
            _("The payment of %(amount)s kr is placed on invoice %(number)s.")
            % {
                "amount": number_format(payment.amount, 2, force_grouping=True),
                "number": invoice.number,
            },
        )
        return redirect("ocr:unmatched", club_slug=club_slug)
    chosen = request.GET.get("invoice", "")
    chosen = _invoice(request, chosen) if chosen.isdigit() and len(chosen) < 19 else None
    return _place_page(request, payment, chosen=chosen)
