from django.urls import path

from billing.views import accounting

app_name = "accounting"

# Under /club/<club_slug>/billing/ (ims/urls.py), club admins only (issue 8). Every URL here
# is covered by tests/members/test_isolation.py (another club's admin gets 404).
urlpatterns = [
    path("overview/", accounting.overview, name="overview"),
    path("accounting/", accounting.export_page, name="export"),
    path("accounting/export.<str:fmt>", accounting.export_download, name="download"),
    path("settings/", accounting.settings_page, name="settings"),
]
