from django.urls import path

from members.views import min_side

app_name = "minside"

# Under /min-side/ (ims/urls.py): the logged-in person's own pages, not club-scoped.
# Ids are checked against the person and their children (tests/members/test_min_side.py).
urlpatterns = [
    path("", min_side.index, name="index"),
    path("contact/", min_side.edit_contact, name="contact"),
    path("children/<uuid:child_id>/contact/", min_side.edit_child_contact, name="child_contact"),
    path("newsletter/", min_side.newsletter, name="newsletter"),
    path(
        "memberships/<int:membership_id>/cancel/",
        min_side.cancel_membership,
        name="cancel_membership",
    ),
]
