from django.urls import path

from billing.views import avtalegiro

app_name = "avtalegiro"

# Under /club/<club_slug>/billing/ (ims/urls.py), club admins only (issue 8). Every URL here
# is covered by tests/members/test_isolation.py (another club's admin gets 404).
urlpatterns = [
    path("avtalegiro/", avtalegiro.mandate_list, name="mandates"),
    path(
        "avtalegiro/register/<int:membership_id>/",
        avtalegiro.mandate_register,
        name="register",
    ),
    path(
        "avtalegiro/mandates/<int:mandate_id>/cancel/",
        avtalegiro.mandate_cancel,
        name="cancel",
    ),
    path("avtalegiro/files/", avtalegiro.claim_files, name="files"),
    path("avtalegiro/files/write/", avtalegiro.claim_write, name="write"),
    path("avtalegiro/files/<int:claim_file_id>/", avtalegiro.claim_file, name="file"),
    path(
        "avtalegiro/files/<int:claim_file_id>/download/",
        avtalegiro.claim_file_download,
        name="download",
    ),
]
