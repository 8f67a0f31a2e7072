from django.urls import path  # noqa: F401

app_name = "billing"

# Under /club/<club_slug>/ (ims/urls.py): the club admin's billing pages. Every URL here is
# in tests/members/test_isolation.py's list of club URLs (another club's admin gets 404).
urlpatterns: list = []
