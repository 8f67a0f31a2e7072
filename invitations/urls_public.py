from django.urls import path

from invitations.views import public, registration

app_name = "invitations"

# Public pages: the signed link or the invitation code is the key (no login).
urlpatterns = [
    path("bekreft/<str:token>/", public.confirm, name="confirm"),
    path("min-side/invitasjon/<str:code>/", public.redeem, name="redeem"),
    # An invitation to register (R-REG-2 … R-REG-4): the link, the steps of a new user,
    # and the page at the end.
    path("invitasjon/<str:code>/", registration.invitation, name="invitation"),
    path("invitasjon/<str:code>/ny-bruker/<slug:step>/", registration.signup, name="signup"),
    path("invitasjon/<str:code>/velkommen/", registration.welcome, name="welcome"),
]
