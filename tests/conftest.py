"""Shared fixtures. The demo clubs (members.demo) are seeded once per session into the
test database; each test runs in a transaction that is rolled back.

Tests that need a real server (live_server, browser) are transactional; pytest-django
runs them after the others, and they seed their own data with ``demo_clubs_tx``.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django_scopes import scopes_disabled

from members.demo import seed_demo
from members.models import Club

DEMO_PASSWORD = "demo1234"
SMALL = {"members_per_club": 40, "shared": 10}


@pytest.fixture(scope="session", autouse=True)
def _session_media(tmp_path_factory):
    """Files the tests store (the demo's invoice PDFs among them) go to a temporary
    folder, never to the project's media folder."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(scope="session")
def django_db_setup(_session_media, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        seed_demo(password=DEMO_PASSWORD, **SMALL)


@pytest.fixture
def demo(db):
    """The seeded demo: clubs and users by short name."""
    return _demo()


@pytest.fixture
def demo_clubs_tx(transactional_db):
    """The demo for transactional tests (live server, browser): seeded if missing."""
    with scopes_disabled():
        if not Club.objects.filter(slug="demo-a").exists():
            seed_demo(password=DEMO_PASSWORD, **SMALL)
    return _demo()


def _demo():
    User = get_user_model()
    with scopes_disabled():
        return {
            "a": Club.objects.get(slug="demo-a"),
            "b": Club.objects.get(slug="demo-b"),
            "admin_a": User.objects.get(email="admin-a@example.no"),
            "admin_b": User.objects.get(email="admin-b@example.no"),
            "admin_ab": User.objects.get(email="admin-ab@example.no"),
            "coach_a": User.objects.get(email="trener-a@example.no"),
        }


@pytest.fixture
def unscoped():
    """Named system code in tests: look at club data without a club scope."""
    with scopes_disabled():
        yield
