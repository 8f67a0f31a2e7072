from django.urls import path  # noqa: F401

app_name = "payments"

# Not club-scoped: the card payment pages and the providers' callbacks (R-BIL-8). A
# payment is found by its own unguessable token, never by an invoice id.
urlpatterns: list = []
