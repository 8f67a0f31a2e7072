"""Fixtures for the outbox tests: tasks run inline, SMS go to an in-memory backend, and
e-mail to Django's locmem outbox (pytest-django's ``mailoutbox``)."""

import pytest
from django.conf import settings as django_settings
from django.utils import translation
from django_scopes import scopes_disabled

from comms.sms.base import SmsBackend
from ims.celery import app
from members.models import Person


class MemorySmsBackend(SmsBackend):
    """Records every SMS; ``fail_with`` makes the next sends raise that error."""

    sent: list[tuple[str, str, str, str]] = []
    fail_with: list[Exception] = []

    def send(self, sender, to, text, *, reference=""):
        if MemorySmsBackend.fail_with:
            raise MemorySmsBackend.fail_with.pop(0)
        MemorySmsBackend.sent.append((sender, to, text, reference))
        return f"mem-{len(MemorySmsBackend.sent)}"


@pytest.fixture(autouse=True)
def _inline_tasks_and_memory_sms(settings):
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.SMS_BACKEND = "tests.comms.conftest.MemorySmsBackend"
    settings.SITE_URL = "https://ims.example.no"
    MemorySmsBackend.sent = []
    MemorySmsBackend.fail_with = []
    yield
    app.conf.task_always_eager = eager
    forget_result_backend()


def forget_result_backend():
    """Running or publishing a task makes Celery cache its result backend ("none" here);
    drop it so that a later test that configures one gets it."""
    app._backend_cache = None
    vars(app._local).pop("backend", None)


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English source strings, whatever the catalogue says: service
    code runs in English, and the test client asks for English pages."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def sms_outbox():
    return MemorySmsBackend


@pytest.fixture
def club(demo):
    club = demo["a"]
    club.email_sender = "post@demo-a.example.no"
    club.sms_sender = "DemoA"
    club.save()
    return club


@pytest.fixture
def person(db):
    return Person.objects.create(
        first_name="Kari", last_name="Nordmann", email="kari@example.no", mobile="+4791234567"
    )


@pytest.fixture
def child(person):
    kid = Person.objects.create(first_name="Ola", last_name="Nordmann")
    kid.guardians.add(person)
    return kid


@pytest.fixture
def unscoped_db(db):
    with scopes_disabled():
        yield
