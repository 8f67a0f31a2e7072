from django.urls import path  # noqa: F401

app_name = "minside_billing"

# Under /min-side/faktura/ (ims/urls.py): the logged-in person's own invoices and
# agreements and their children's; ids are checked against the person and their children.
urlpatterns: list = []
