"""PDFs (R-BIL-6): an invoice's and a credit note's stored PDF (stored on first look if
the issue task has not yet), and the invoices and credit notes for the post: one merged
PDF of them, and marking them posted once printed."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from billing import pdf, queries, sending
from billing.models import CreditNote, Invoice, InvoiceRun
from members.permissions import require_club_admin


def pdf_response(obj, filename: str) -> FileResponse:
    """The stored PDF, shown in the browser (``inline``) with a readable file name."""
    return FileResponse(obj.pdf.open("rb"), content_type="application/pdf", filename=filename)


def invoice_filename(invoice: Invoice) -> str:
    return f"faktura-{invoice.number}.pdf"


def credit_note_filename(note: CreditNote) -> str:
    return f"kreditnota-{note.number}.pdf"


@require_club_admin
def invoice_pdf(request, club_slug, invoice_id):
    invoice = get_object_or_404(Invoice.objects.filter(club=request.club), pk=invoice_id)
    return pdf_response(pdf.store_invoice_pdf(invoice), invoice_filename(invoice))


@require_club_admin
def credit_note_pdf(request, club_slug, credit_note_id):
    note = get_object_or_404(CreditNote.objects.filter(club=request.club), pk=credit_note_id)
    return pdf_response(pdf.store_credit_note_pdf(note), credit_note_filename(note))


def _run_of(request, data) -> InvoiceRun | None:
    run_id = data.get("run", "")
    if not run_id:
        return None
    runs = InvoiceRun.objects.filter(club=request.club)
    return get_object_or_404(runs, pk=run_id) if run_id.isdigit() else None


CREDIT_NOTES = "credit_notes"  # ``kind`` of the post list's credit notes


def _for_post(request, data):
    """The list for post, up to the last number the page showed (``up_to``): what a
    later run adds is neither printed nor marked by a page that did not show it. The
    invoices, or with ``kind=credit_notes`` the credit notes."""
    if data.get("kind") == CREDIT_NOTES:
        documents = queries.credit_notes_for_post(request.club)
    else:
        documents = queries.for_post(request.club, _run_of(request, data))
    up_to = data.get("up_to", "")
    return documents.filter(number__lte=int(up_to)) if up_to.isdigit() else documents


@require_club_admin
def for_post(request, club_slug):
    """Open invoices not sent whose recipient has no e-mail: printed and posted."""
    run = _run_of(request, request.GET)
    invoices = queries.for_post(request.club, run)
    page = Paginator(invoices, 100).get_page(request.GET.get("page"))
    notes = list(queries.credit_notes_for_post(request.club))
    context = {
        "page": page,
        "run": run,
        "count": page.paginator.count,
        "up_to": invoices.aggregate(n=Max("number"))["n"],
        "notes": notes,
        "notes_up_to": notes[-1].number if notes else None,
    }
    return render(request, "billing/for_post.html", context)


@require_club_admin
def for_post_pdf(request, club_slug):
    """One PDF of every invoice (or credit note) on the list, in number order, to print
    at once."""
    documents = list(_for_post(request, request.GET))
    if not documents:
        messages.info(request, _("There is nothing to print."))
        return redirect("billing:for_post", club_slug=club_slug)
    body = pdf.merged_pdf(documents)
    stamp = timezone.localdate().isoformat()
    what = "kreditnotaer" if request.GET.get("kind") == CREDIT_NOTES else "fakturaer"
    name = f"{request.club.slug}-{what}-post-{stamp}.pdf"
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@require_club_admin
def for_post_done(request, club_slug):
    """The printed invoices (or credit notes) are posted: they leave the list
    (``billing.sending``)."""
    marked = sending.mark_posted(list(_for_post(request, request.POST)))
    if request.POST.get("kind") == CREDIT_NOTES:
        text = ngettext(
            "%(n)d credit note is marked as posted.",
            "%(n)d credit notes are marked as posted.",
            marked,
        )
    else:
        text = ngettext(
            "%(n)d invoice is marked as posted.", "%(n)d invoices are marked as posted.", marked
        )
    messages.success(request, text % {"n": marked})
    return redirect("billing:for_post", club_slug=club_slug)
