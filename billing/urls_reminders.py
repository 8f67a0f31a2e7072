from django.urls import path

from billing.views import reminders

app_name = "reminders"

# Under /club/<club_slug>/billing/ (ims/urls.py), club admins only (issue 8). Every URL here
# is covered by tests/members/test_isolation.py (another club's admin gets 404).
urlpatterns = [
    path("reminders/", reminders.reminder_log, name="log"),
    path("reminders/settings/", reminders.reminder_settings, name="settings"),
]
