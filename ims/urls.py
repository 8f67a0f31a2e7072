from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path

from members.views.home import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("comms.urls")),
    path("", include("invitations.urls_public")),
    path("min-side/", include("members.urls_min_side")),
    path("min-side/faktura/", include("billing.urls_min_side")),
    path("betaling/", include("billing.urls_public")),
    path("club/<slug:club_slug>/", include("members.urls")),
    path("club/<slug:club_slug>/", include("comms.urls_club")),
    path("club/<slug:club_slug>/", include("migration.urls")),
    path("club/<slug:club_slug>/", include("invitations.urls")),
    path("club/<slug:club_slug>/", include("invitations.urls_club")),
    path("club/<slug:club_slug>/", include("invitations.urls_approval")),
    path("club/<slug:club_slug>/", include("billing.urls")),
    path("club/<slug:club_slug>/billing/", include("billing.urls_avtalegiro")),
    path("club/<slug:club_slug>/billing/", include("billing.urls_ocr")),
    path("club/<slug:club_slug>/billing/", include("billing.urls_reminders")),
    path("club/<slug:club_slug>/billing/", include("billing.urls_accounting")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
