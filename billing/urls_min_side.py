from django.urls import path

from billing.views import min_side

app_name = "minside_billing"

# Under /min-side/faktura/ (ims/urls.py): the logged-in person's own invoices and
# agreements and their children's; ids are checked against the person and their children
# (tests/billing/test_min_side.py).
urlpatterns = [
    path("<int:invoice_id>/pdf/", min_side.invoice_pdf, name="invoice_pdf"),
    path(
        "credit-notes/<int:credit_note_id>/pdf/",
        min_side.credit_note_pdf,
        name="credit_note_pdf",
    ),
    path(
        "agreements/<int:agreement_id>/cancel/",
        min_side.cancel_agreement,
        name="cancel_agreement",
    ),
]
