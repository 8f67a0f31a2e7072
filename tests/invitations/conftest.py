"""Fixtures for activation, verification and Min side invitations (SPEC §5).

``club_a`` is the federation's club-a sample imported with the operator's command into
a new club, once per module (rolled back afterwards), with a few of its adults already
in the register so that they match (R-ACT-3). Tasks run inline and e-mail goes to
Django's locmem outbox; assertions read the English source strings.
"""

import io
from datetime import date
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import translation
from django_scopes import scopes_disabled

from ims.celery import app
from members.models import Membership, Person
from members.services import create_club, create_person, grant_club_admin
from tests.migration.helpers import CLUB_A, sample_rows

SLUG = "klubb-a"
CLUB_EMAIL = "post@klubb-a.example.no"
ADMIN = "admin@klubb-a.example.no"
MATCHED = 3  # adults of the sample already in the register before the import
WITHOUT_EMAIL = 2  # pending adults whose address is taken away after the import


@pytest.fixture(autouse=True)
def _inline_tasks(settings):
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.SITE_URL = "https://ims.example.no"
    settings.LANGUAGE_CODE = "en"  # e-mails are written in the site's language
    yield
    app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _parse(text: str) -> date:
    day, month, year = (int(p) for p in text.split("."))
    return date(year, month, day)


def matching_rows() -> list[dict]:
    """Adults of the sample with an e-mail and no national id: registering them first
    makes the import match them by name and birth date."""
    rows = [
        r
        for r in sample_rows(CLUB_A / "members.csv")
        if r["E-post"].strip() and not r["Personnummer"].strip() and r["Fødselsdato"].strip()
    ]
    adults = [r for r in rows if _parse(r["Fødselsdato"]).year < 1990]
    return adults[:MATCHED]


@pytest.fixture(scope="module")
def club_a(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("club-a")
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(MEDIA_ROOT=tmp / "media"),
        scopes_disabled(),
    ):
        club = create_club(SLUG, "Klubb A", admin_email=ADMIN)
        club.email_sender = CLUB_EMAIL
        club.save()
        registered = [
            create_person(
                first_name=r["Fornavn"],
                last_name=r["Etternavn"],
                birth_date=_parse(r["Fødselsdato"]),
            )
            for r in matching_rows()
        ]
        out = io.StringIO()
        call_command(
            "import_members",
            str(CLUB_A),
            "--club",
            SLUG,
            "--report",
            str(tmp / "r.csv"),
            stdout=out,
        )
        admin = club.roles.get(kind="admin").user
        # Every row of the sample has an address; two adults lose theirs, as happens.
        no_email = list(
            Person.objects.filter(
                memberships__club=club,
                memberships__status=Membership.Status.PENDING,
                guardians__isnull=True,
            )
            .exclude(email="")
            .order_by("pk")[:WITHOUT_EMAIL]
        )
        for person in no_email:
            person.email = ""
            person.save()
        yield SimpleNamespace(
            club=club, registered=registered, admin=admin, no_email=no_email, import_out=out
        )
        transaction.set_rollback(True)


@pytest.fixture
def imported(club_a, db):
    """club_a for one test (its changes roll back with the test)."""
    return club_a


@pytest.fixture
def unscoped():
    with scopes_disabled():
        yield


def membership_of(club, person) -> Membership:
    with scopes_disabled():
        return Membership.objects.select_related("person").get(club=club, person=person)


def make_member(club, *, first="Kari", last="Nordmann", born=date(1980, 5, 1), email="", status):
    """A member of ``club`` with the given status (created outside any import)."""
    with scopes_disabled():
        person = Person.objects.create(
            first_name=first, last_name=last, birth_date=born, email=email
        )
        membership = Membership.objects.create(
            club=club, person=person, status=status, source=Membership.Source.MIGRATED
        )
    return membership


@pytest.fixture
def small_club(db):
    """A club of its own with an admin, for tests that build their members by hand."""
    with scopes_disabled():
        club = create_club("liten", "Liten IL", admin_email="admin@liten.example.no")
        club.email_sender = "post@liten.example.no"
        club.save()
        admin = club.roles.get(kind="admin").user
    grant_club_admin(club, admin)
    return SimpleNamespace(club=club, admin=admin)
