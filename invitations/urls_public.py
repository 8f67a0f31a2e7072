from django.urls import path

from invitations.views import joining, public, registration

app_name = "invitations"

# Public pages: the signed link or the invitation code is the key (no login).
urlpatterns = [
    path("bekreft/<str:token>/", public.confirm, name="confirm"),
    path("min-side/invitasjon/<str:code>/", public.redeem, name="redeem"),
    # An invitation to register (R-REG-2 … R-REG-4): the link, the steps of a new user,
    path("invitasjon/<str:code>/", registration.invitation, name="invitation"),
    path("invitasjon/<str:code>/ny-bruker/<slug:step>/", registration.signup, name="signup"),
    # … then, for the invitation's own login only (R-REG-5 … R-REG-7): who becomes a
    # member, a child, the memberships and groups, the cart, the card payment's way back
    # and the receipt.
    path("invitasjon/<str:code>/velkommen/", joining.welcome, name="welcome"),
    path("invitasjon/<str:code>/barn/", joining.child, name="child"),
    path("invitasjon/<str:code>/medlemskap/", joining.shop, name="shop"),
    path("invitasjon/<str:code>/handlevogn/", joining.cart, name="cart"),
    path(
        "invitasjon/<str:code>/kvittering/<int:registration_id>/",
        joining.receipt,
        name="receipt",
    ),
    path(
        "invitasjon/<str:code>/kvittering/<int:registration_id>/betalt/<str:token>/",
        joining.payment_back,
        name="payment_back",
    ),
    path(
        "invitasjon/<str:code>/kvittering/<int:registration_id>/avbrutt/<str:token>/",
        joining.payment_cancelled,
        name="payment_cancelled",
    ),
]
