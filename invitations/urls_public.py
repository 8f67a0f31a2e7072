from django.urls import path

from invitations.views import public

app_name = "invitations"

# Public pages: the signed link or the invitation code is the key (no login).
urlpatterns = [
    path("bekreft/<str:token>/", public.confirm, name="confirm"),
    path("min-side/invitasjon/<str:code>/", public.redeem, name="redeem"),
]
