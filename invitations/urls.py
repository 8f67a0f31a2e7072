from django.urls import path

from invitations.views import club

app_name = "activation"

# Under /club/<slug:club_slug>/ (ims/urls.py); object ids are named <kind>_id for the
# isolation test. Club admins only.
urlpatterns = [
    path("activation/", club.activation, name="index"),
    path("activation/activate/", club.activate, name="activate"),
    path("activation/progress/", club.progress, name="progress"),
    path("activation/resend/", club.resend_all, name="resend_all"),
    path("activation/min-side/", club.min_side_invites, name="min_side"),
    path(
        "activation/members/<int:membership_id>/verify/", club.verify_member, name="verify_member"
    ),
    path(
        "activation/members/<int:membership_id>/invite/", club.invite_member, name="invite_member"
    ),
]
