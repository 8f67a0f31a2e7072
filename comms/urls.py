from django.urls import path

from comms import views

app_name = "comms"

urlpatterns = [
    path("nyhetsbrev/avmeld/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "sms/leveringsrapport/<str:token>/",
        views.sms_delivery_report,
        name="sms_delivery_report",
    ),
]
