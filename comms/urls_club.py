from django.urls import path

from comms import composer_views as views

app_name = "composer"

# Under /club/<slug:club_slug>/ (ims/urls.py); object ids are named <kind>_id for the
# isolation test (tests/members/test_isolation.py).
urlpatterns = [
    path("messages/", views.send_list, name="sends"),
    path("messages/new/", views.compose, name="compose"),
    path("messages/new/send/", views.send, name="send"),
    path("messages/<int:send_id>/", views.send_detail, name="send_detail"),
    path("messages/<int:send_id>/progress/", views.send_progress, name="send_progress"),
]
