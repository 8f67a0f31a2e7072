from django.urls import path

from billing.views import agreements, documents, fees, invoices, runs

app_name = "billing"

# Under /club/<slug:club_slug>/ (ims/urls.py): the club admin's billing pages. Every URL here is
# in tests/members/test_isolation.py's list of club URLs (another club's admin gets 404).
# Object ids are named <kind>_id so the isolation test knows which object to try.
urlpatterns = [
    path("billing/", invoices.invoice_list, name="invoices"),
    path("billing/invoices/<int:invoice_id>/", invoices.invoice_detail, name="invoice"),
    path("billing/invoices/<int:invoice_id>/pdf/", documents.invoice_pdf, name="invoice_pdf"),
    path("billing/invoices/<int:invoice_id>/credit/", invoices.invoice_credit, name="credit"),
    path("billing/invoices/<int:invoice_id>/payment/", invoices.invoice_payment, name="payment"),
    path("billing/invoices/<int:invoice_id>/refund/", invoices.invoice_refund, name="refund"),
    path(
        "billing/credit-notes/<int:credit_note_id>/pdf/",
        documents.credit_note_pdf,
        name="credit_note_pdf",
    ),
    path("billing/post/", documents.for_post, name="for_post"),
    path("billing/post/pdf/", documents.for_post_pdf, name="for_post_pdf"),
    path("billing/post/done/", documents.for_post_done, name="for_post_done"),
    path("billing/runs/", runs.run_list, name="runs"),
    path("billing/runs/preview/", runs.preview, name="preview"),
    path("billing/runs/preview.<str:fmt>", runs.preview_export, name="preview_export"),
    path("billing/runs/start/", runs.run_start, name="run_start"),
    path("billing/runs/<int:run_id>/", runs.run_detail, name="run"),
    path("billing/runs/<int:run_id>/progress/", runs.run_progress, name="run_progress"),
    path("billing/agreements/", agreements.agreement_list, name="agreements"),
    path(
        "billing/agreements/<int:agreement_id>/cancel/",
        agreements.agreement_cancel,
        name="agreement_cancel",
    ),
    path(
        "billing/members/<int:membership_id>/agreements/new/",
        agreements.agreement_create,
        name="agreement_create",
    ),
    path("billing/fees/", fees.fee_list, name="fees"),
    path("billing/fees/new/", fees.fee_create, name="fee_create"),
    path("billing/fees/<int:fee_id>/", fees.fee_edit, name="fee"),
    path("billing/fees/<int:fee_id>/active/", fees.fee_active, name="fee_active"),
    path("billing/fees/<int:fee_id>/rules/new/", fees.rule_create, name="rule_create"),
    path("billing/rules/<int:rule_id>/", fees.rule_edit, name="rule"),
    path("billing/rules/<int:rule_id>/delete/", fees.rule_delete, name="rule_delete"),
]
