"""Invoice runs (R-BIL-4, R-BIL-11): the preview of a date with its export, starting a
run (a background task, idempotent), the list of runs and one run with its progress."""

import secrets
from collections import Counter
from decimal import Decimal

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from billing import queries, services, tasks
from billing.forms import PreviewForm, StartRunForm
from billing.models import InvoicePaymentMethod, InvoiceRun
from members import exports
from members.permissions import require_club_admin

PREVIEW_PAGE_SIZE = 100
START_TOKEN_SECONDS = 24 * 3600
METHODS = dict(InvoicePaymentMethod.choices)


@require_club_admin
def preview(request, club_slug):
    """Who a run on the chosen date would bill, how much, how, and what looks wrong."""
    services.mark_interrupted_runs(request.club)  # a killed run does not block the button
    form = PreviewForm(request.GET or None, initial={"date": timezone.localdate()})
    run_date = form.run_date()
    rows = services.preview_run(request.club, run_date)
    only_anomalies = request.GET.get("anomalies") == "1"
    shown = [r for r in rows if r.anomalies] if only_anomalies else rows
    page = Paginator(shown, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    members = queries.memberships_by_person(request.club, [r.payer.pk for r in page.object_list])
    for row in page.object_list:
        row.payer_member = members.get(row.payer.pk)
        row.method_label = METHODS.get(row.payment_method, row.payment_method)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "run_date": run_date,
        "summary": _summary(rows),
        "page": page,
        "query": params.urlencode(),
        "only_anomalies": only_anomalies,
        "start": StartRunForm(initial={"run_date": run_date, "token": secrets.token_urlsafe(16)}),
        "is_today": run_date == timezone.localdate(),
        "running": InvoiceRun.objects.filter(
            club=request.club, status=InvoiceRun.Status.RUNNING
        ).first(),
    }
    return render(request, "billing/preview.html", context)


def _summary(rows) -> dict:
    methods: dict[str, list] = {}
    anomalies: Counter = Counter()
    for row in rows:
        entry = methods.setdefault(row.payment_method, [0, Decimal("0.00")])
        entry[0] += 1
        entry[1] += row.total
        anomalies.update(row.anomalies)
    return {
        "invoices": len(rows),
        "lines": sum(len(r.lines) for r in rows),
        "total": sum((r.total for r in rows), Decimal("0.00")),
        "methods": [(METHODS.get(m, m), n, total) for m, (n, total) in sorted(methods.items())],
        "anomalies": sorted(anomalies.items()),
        "with_anomalies": sum(1 for r in rows if r.anomalies),
    }


PREVIEW_COLUMNS = [
    gettext_lazy("Invoice recipient"),
    gettext_lazy("Address"),
    gettext_lazy("Postal code"),
    gettext_lazy("City"),
    gettext_lazy("E-mail"),
    gettext_lazy("Payment method"),
    gettext_lazy("Line"),
    gettext_lazy("From"),
    gettext_lazy("To"),
    gettext_lazy("Price rule"),
    gettext_lazy("Amount"),
    gettext_lazy("Invoice total"),
    gettext_lazy("Anomalies"),
]


def _preview_rows(rows):
    """One row per invoice line, typed (dates, Decimals); CSV and XLSX format them."""
    for row in rows:
        payer = row.payer
        for line in row.lines:
            yield [
                payer.full_name,
                payer.address_line,
                payer.postal_code,
                payer.city,
                payer.email,
                str(METHODS.get(row.payment_method, row.payment_method)),
                line.description,
                line.period_start,
                line.period_end,
                line.rule_text,
                line.amount,
                row.total,
                "; ".join(row.anomalies),
            ]


def _csv_value(value):
    """CSV for Excel in Norway: dates dd.mm.yyyy, decimal comma (no thousands mark)."""
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if hasattr(value, "strftime"):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else value


@require_club_admin
def preview_export(request, club_slug, fmt):
    """The preview as CSV or XLSX, every line."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    run_date = PreviewForm(request.GET or None).run_date()
    rows = services.preview_run(request.club, run_date)
    header = [str(c) for c in PREVIEW_COLUMNS]
    filename = f"{request.club.slug}-forhandsvisning-{run_date.isoformat()}.{fmt}"
    if fmt == "xlsx":
        body = exports.xlsx_bytes(header, _preview_rows(rows), title=_("Preview"))
        response = HttpResponse(
            body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    else:
        data = ([_csv_value(v) for v in r] for r in _preview_rows(rows))
        response = StreamingHttpResponse(
            exports.csv_chunks(header, data), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@require_club_admin
def run_start(request, club_slug):
    """Queue the run previewed (the task ``billing.run_invoices``). A double click starts
    one run: the form's token is used once. Even a second run would bill nothing twice
    (R-BIL-4), it would only list an empty run."""
    club = request.club
    form = StartRunForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(reverse("billing:preview", args=[club_slug]))
    data = form.cleaned_data
    latest = InvoiceRun.objects.filter(club=club).order_by("-pk").values_list("pk", flat=True)
    after = latest.first() or 0
    runs = reverse("billing:runs", args=[club_slug])
    if not cache.add(f"billing:start-run:{club.pk}:{data['token']}", 1, START_TOKEN_SECONDS):
        messages.info(request, _("This run was started already; it is not started again."))
        return redirect(runs)
    day, send, user_id = data["run_date"].isoformat(), data["send"], request.user.pk
    transaction.on_commit(
        lambda: tasks.run_invoices.delay(club.pk, day, user_id=user_id, send=send)
    )
    messages.success(request, _("The invoice run is started. It runs in the background."))
    return redirect(f"{runs}?after={after}")


@require_club_admin
def run_list(request, club_slug):
    club = request.club
    services.mark_interrupted_runs(club)
    runs = InvoiceRun.objects.filter(club=club).select_related("created_by").order_by("-pk")
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    after = request.GET.get("after", "")
    waiting = after.isdigit() and not runs.filter(pk__gt=int(after)).exists()
    polling = waiting or runs.filter(status=InvoiceRun.Status.RUNNING).exists()
    context = {"page": page, "waiting": waiting, "polling": polling, "after": after}
    if request.htmx and not request.htmx.boosted:
        return render(request, "billing/_runs_table.html", context)
    return render(request, "billing/runs.html", context)


def _run(request, run_id) -> InvoiceRun:
    runs = InvoiceRun.objects.filter(club=request.club).select_related("created_by")
    return get_object_or_404(runs, pk=run_id)


@require_club_admin
def run_detail(request, club_slug, run_id):
    services.mark_interrupted_runs(request.club)
    run = _run(request, run_id)
    invoices = run.invoice_set.order_by("number")
    context = {
        "run": run,
        "progress": _progress(run),
        "invoices": invoices[:50],
        "for_post": queries.for_post(request.club, run).count(),
    }
    return render(request, "billing/run_detail.html", context)


def _progress(run: InvoiceRun) -> dict:
    percent = int(100 * run.done / run.total) if run.total else 0
    return {"done": run.done, "total": run.total, "percent": percent}


@require_club_admin
def run_progress(request, club_slug, run_id):
    """Polled by htmx while the run works; asks for a full reload when it has ended (or
    its worker was killed: the run is marked failed)."""
    services.mark_interrupted_runs(request.club)
    run = _run(request, run_id)
    if run.status != InvoiceRun.Status.RUNNING:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "billing/_run_progress.html", {"run": run, "progress": _progress(run)})
