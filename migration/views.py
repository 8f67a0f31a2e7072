from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.models import Membership, Person
from members.permissions import require_club_admin
from migration import services
from migration.forms import UploadForm
from migration.models import ImportBatch, ImportRow
from migration.quality import data_quality
from migration.tasks import run_import


@require_club_admin
def imports(request, club_slug):
    """Upload an extract; the import runs in the background (R-MIG-1)."""
    club = request.club
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.create_batch(club, form.sources(), user=request.user)
        except services.MigrationError as exc:
            form.add_error("files", str(exc))
        else:
            transaction.on_commit(lambda: run_import.delay(batch.pk))
            return redirect("migration:batch", club_slug=club_slug, batch_id=batch.pk)
    batches = ImportBatch.objects.filter(club=club).select_related("created_by")[:50]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "migration/imports.html", {"form": form, "batches": batches}, status=status
    )


def _batch(request, batch_id) -> ImportBatch:
    return get_object_or_404(ImportBatch.objects.filter(club=request.club), pk=batch_id)


@require_club_admin
def batch_detail(request, club_slug, batch_id):
    batch = _batch(request, batch_id)
    rows = batch.rows.select_related("person").order_by("sheet", "row_number")
    outcome = request.GET.get("outcome", "")
    if outcome in ImportRow.Outcome.values:
        rows = rows.filter(outcome=outcome)
    page_number = request.GET.get("page")
    sheet, _sep, number = request.GET.get("row", "").rpartition("-")
    if not page_number and sheet and number.isdigit():
        # A link to one row (from the member card): open the page that holds it.
        before = rows.filter(Q(sheet__lt=sheet) | Q(sheet=sheet, row_number__lt=int(number)))
        page_number = before.count() // 100 + 1
    page = Paginator(rows, 100).get_page(page_number)
    context = {
        "batch": batch,
        "page": page,
        "outcome": outcome,
        "outcomes": ImportRow.Outcome.choices,
        "progress": _progress(batch),
        "blockers": services.rollback_blockers(batch)
        if batch.status == ImportBatch.Status.DONE
        else [],
        "sources": batch.sources.all(),
    }
    return render(request, "migration/batch.html", context)


def _progress(batch: ImportBatch) -> dict:
    done, total = services.get_progress(batch)
    percent = int(100 * done / total) if total else 0
    return {"done": done, "total": total, "percent": percent}


@require_club_admin
def batch_progress(request, club_slug, batch_id):
    """Polled by htmx while the import runs; asks for a full reload when it has ended."""
    batch = _batch(request, batch_id)
    if batch.status not in (ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(
        request, "migration/_progress.html", {"batch": batch, "progress": _progress(batch)}
    )


@require_POST
@require_club_admin
def batch_rollback(request, club_slug, batch_id):
    batch = _batch(request, batch_id)
    try:
        services.rollback_batch(batch, user=request.user)
    except services.MigrationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The import is rolled back: everything it created is removed."))
    return redirect("migration:batch", club_slug=club_slug, batch_id=batch.pk)


@require_POST
@require_club_admin
def batch_retry(request, club_slug, batch_id):
    batch = _batch(request, batch_id)
    if services.retry_batch(batch):
        transaction.on_commit(lambda: run_import.delay(batch.pk))
        messages.info(request, _("The import is started again."))
    return redirect("migration:batch", club_slug=club_slug, batch_id=batch.pk)


@require_club_admin
def review(request, club_slug):
    """The review list (R-MIG-4): link to a candidate or create a new person, one click."""
    rows = list(services.open_review_rows(request.club)[:100])
    ids = {pk for row in rows for pk in row.candidates}
    people = Person.objects.in_bulk(ids)
    members = set(
        Membership.objects.filter(club=request.club, person__in=ids).values_list(
            "person_id", flat=True
        )
    )
    items = [
        (row, [(people[pk], pk in members) for pk in row.candidates if pk in people])
        for row in rows
    ]
    total = services.open_review_rows(request.club).count()
    return render(request, "migration/review.html", {"items": items, "total": total})


@require_POST
@require_club_admin
def review_resolve(request, club_slug, row_id):
    row = get_object_or_404(ImportRow.objects.filter(club=request.club), pk=row_id)
    person_id = request.POST.get("person")
    try:
        services.resolve_review(
            row, user=request.user, person_id=int(person_id) if person_id else None
        )
    except (services.MigrationError, ValueError) as exc:
        messages.error(
            request, str(exc) if isinstance(exc, services.MigrationError) else _("Choose a person.")
        )
    else:
        messages.success(request, _("Row %(row)s is resolved.") % {"row": row.row_number})
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return redirect("migration:review", club_slug=club_slug)


@require_club_admin
def quality(request, club_slug):
    """The data-quality page before first billing (R-MIG-8)."""
    sections = data_quality(request.club)
    return render(request, "migration/quality.html", {"sections": sections})
