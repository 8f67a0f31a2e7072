from django.urls import path

from invitations.views import approval

app_name = "approval"

# Under /club/<slug:club_slug>/ (ims/urls.py): the answer to a membership sent for
# approval, from the member card (R-REG-7 (i)). Club admins only; object ids are named
# <kind>_id for the isolation test.
urlpatterns = [
    path("approval/members/<int:membership_id>/approve/", approval.approve, name="approve"),
    path("approval/members/<int:membership_id>/reject/", approval.reject, name="reject"),
]
