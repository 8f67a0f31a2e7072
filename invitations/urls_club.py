from django.urls import path

from invitations.views import invite

app_name = "invites"

# Under /club/<slug:club_slug>/ (ims/urls.py): invitations to register (R-REG-1). Club
# admins only; object ids are named <kind>_id for the isolation test.
urlpatterns = [
    path("invitations/", invite.invitation_list, name="list"),
    path("invitations/new/", invite.invite, name="new"),
    path("invitations/<int:invitation_id>/resend/", invite.resend, name="resend"),
    path("invitations/<int:invitation_id>/revoke/", invite.revoke, name="revoke"),
]
