from django.urls import path

from billing.payments import views

app_name = "payments"

# Not club-scoped: the card payment pages and the providers' callbacks (R-BIL-8). A
# payment is found by its own unguessable token, never by an invoice id; the pay page
# takes an invoice id but shows it only to the invoice's recipient (anyone else: 404).
urlpatterns = [
    path("faktura/<int:invoice_id>/", views.pay, name="pay"),
    path("<str:token>/ferdig/", views.done, name="done"),
    path("<str:token>/avbrutt/", views.cancelled, name="cancelled"),
    path("webhook/<slug:provider>/", views.webhook, name="webhook"),
    path("test/<str:token>/", views.test_page, name="test_page"),
]
