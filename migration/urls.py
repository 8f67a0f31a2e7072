from django.urls import path

from migration import views

app_name = "migration"

# Under /club/<slug:club_slug>/ (ims/urls.py); object ids are named <kind>_id for the
# isolation test.
urlpatterns = [
    path("import/", views.imports, name="imports"),
    path("import/review/", views.review, name="review"),
    path("import/review/<int:row_id>/", views.review_resolve, name="resolve"),
    path("import/<int:batch_id>/", views.batch_detail, name="batch"),
    path("import/<int:batch_id>/progress/", views.batch_progress, name="progress"),
    path("import/<int:batch_id>/rollback/", views.batch_rollback, name="rollback"),
    path("import/<int:batch_id>/retry/", views.batch_retry, name="retry"),
    path("data-quality/", views.quality, name="quality"),
]
