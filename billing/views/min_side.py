"""Min side's billing pages (R-ACT-6): the PDF of an invoice or credit note the user or
one of their children received, and cancelling an agreement of theirs. An id that is
not theirs is a 404 (``billing.queries`` filters by the persons Min side allows)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import pdf, queries, services
from billing.views.documents import credit_note_filename, invoice_filename, pdf_response
from members import permissions
from members.views.min_side import min_side_view


@min_side_view
def invoice_pdf(request, person, invoice_id):
    invoice = queries.min_side_invoice(permissions.min_side_persons(person), invoice_id)
    if invoice is None:
        raise Http404
    return pdf_response(pdf.store_invoice_pdf(invoice), invoice_filename(invoice))


@min_side_view
def credit_note_pdf(request, person, credit_note_id):
    persons = permissions.min_side_persons(person)
    note = queries.min_side_credit_note(persons, credit_note_id)
    if note is None:
        raise Http404
    return pdf_response(pdf.store_credit_note_pdf(note), credit_note_filename(note))


@min_side_view
def cancel_agreement(request, person, agreement_id):
    """A confirmation page, then the cancellation: nothing is billed for a period that
    starts after today (R-BIL-2)."""
    persons = permissions.min_side_persons(person)
    agreement = queries.min_side_agreement(persons, agreement_id)
    if agreement is None:
        raise Http404
    if agreement.is_cancelled:
        messages.info(request, _("This agreement is cancelled already."))
        return redirect("minside:index")
    if not services.member_may_cancel(agreement):
        messages.error(
            request,
            _("The membership fee ends with the membership: cancel the membership instead."),
        )
        return redirect("minside:index")
    if request.method == "POST":
        services.cancel_agreement(agreement, by=request.user)
        messages.success(
            request,
            _("“%(fee)s” for %(name)s is cancelled.")
            % {"fee": agreement.fee.name, "name": agreement.person.full_name},
        )
        return redirect("minside:index")
    context = {
        "person": person,
        "agreement": agreement,
        "is_self": agreement.person_id == person.pk,
        "today": timezone.localdate(),
    }
    return render(request, "billing/min_side/cancel_agreement.html", context)
