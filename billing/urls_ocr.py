from django.urls import path

from billing.views import ocr

app_name = "ocr"

# Under /club/<club_slug>/billing/ (ims/urls.py), club admins only (issue 8). Every URL here
# is covered by tests/members/test_isolation.py (another club's admin gets 404).
urlpatterns: list = [
    path("payments/", ocr.payment_list, name="payments"),
    path("payments/unmatched/", ocr.unmatched_list, name="unmatched"),
    path("payments/<int:payment_id>/place/", ocr.place, name="place"),
    path("ocr/", ocr.file_list, name="files"),
    path("ocr/<int:payment_file_id>/", ocr.file_detail, name="file"),
]
