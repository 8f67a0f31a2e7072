"""Accounts (R-SEC-2, R-SEC-4), operator commands, and production settings (R-SEC-7)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from members.models import Club, Membership

ROOT = Path(__file__).resolve().parents[2]


def test_passwords_are_hashed_with_argon2():
    assert get_hasher().algorithm == "argon2"


@pytest.mark.django_db
def test_login_with_email_and_password(client, demo):
    page = client.get(reverse("account_login"))
    assert page.status_code == 200 and 'lang="nb"' in page.content.decode()
    response = client.post(
        reverse("account_login"), {"login": "admin-a@example.no", "password": "demo1234"}
    )
    assert response.status_code == 302
    assert client.get(reverse("members:list", args=["demo-a"])).status_code == 200


@pytest.mark.django_db
def test_wrong_password_is_refused_in_plain_words(client, demo):
    response = client.post(
        reverse("account_login"), {"login": "admin-a@example.no", "password": "wrong"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.django_db
def test_password_reset_sends_a_mail(client, demo):
    client.post(reverse("account_reset_password"), {"email": "admin-a@example.no"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["admin-a@example.no"]


@pytest.mark.django_db
def test_there_is_no_open_signup(client):
    response = client.get(reverse("account_signup"))
    assert "signup_closed" in response.templates[0].name or response.status_code != 200


@pytest.mark.django_db
def test_club_can_require_two_factor_for_its_admins(client, demo):
    Club.objects.filter(pk=demo["a"].pk).update(require_admin_2fa=True)
    client.force_login(demo["admin_a"])
    response = client.get(reverse("members:list", args=["demo-a"]))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    Authenticator.objects.create(user=demo["admin_a"], type=Authenticator.Type.TOTP, data={})
    assert client.get(reverse("members:list", args=["demo-a"])).status_code == 200


@pytest.mark.django_db
def test_create_club_command(capsys):
    call_command(
        "create_club",
        "ny-klubb",
        "--name",
        "Ny Klubb IL",
        "--org-number",
        "974 760 673",
        "--admin-email",
        "leder@example.no",
    )
    club = Club.objects.get(slug="ny-klubb")
    assert club.org_number == "974760673" and club.roles.get().user.email == "leder@example.no"
    with pytest.raises(CommandError, match="organisation number|organisasjonsnummer"):
        call_command("create_club", "feil", "--name", "Feil", "--org-number", "123456789")
    assert not Club.objects.filter(slug="feil").exists()


@pytest.mark.django_db
def test_seed_demo_runs_once(demo, capsys):
    call_command("seed_demo")
    assert "nothing to do" in capsys.readouterr().out
    with scopes_disabled():
        shared = Membership.objects.filter(club=demo["a"]).values("person")
        assert Membership.objects.filter(club=demo["b"], person__in=shared).exists()
        assert Membership.objects.filter(club=demo["a"], person__guardians__isnull=False).exists()


def production_check(*args: str, **settings: str) -> subprocess.CompletedProcess:
    """``manage.py check ARGS`` with production settings and production-like secrets."""
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a deploy check.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "ims.settings.production",
        "SECRET_KEY": "x" * 30 + "production-like-secret-key-0123456789",
        "FIELD_ENCRYPTION_KEY": "qJ5m7WdB1vQ3o6XsN1gq0n4JwZyX2F8cC0rT5uY7i9E=",
        "IDENTITY_HMAC_KEY": "production-like-hmac-key",
        **settings,
    }
    return subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = production_check(
        "--deploy",
        "--fail-level",
        "WARNING",
        ALLOWED_HOSTS="ims.example.no",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
        PAYMENT_PROVIDER="stripe",
        STRIPE_SECRET_KEY="sk_test_production_like",
        STRIPE_WEBHOOK_SECRET="whsec_production_like",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_the_test_payment_provider():
    """The built-in test provider takes no money (R-BIL-8): production refuses it unless a
    staging site asks for it on purpose."""
    result = production_check(PAYMENT_PROVIDER="test")
    assert result.returncode != 0
    assert "PAYMENT_PROVIDER=test takes no money" in result.stderr
    staging = production_check(PAYMENT_PROVIDER="test", PAYMENT_ALLOW_TEST_PROVIDER="true")
    assert "takes no money" not in staging.stderr


def test_production_refuses_development_secrets():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY")}
    env["DJANGO_SETTINGS_MODULE"] = "ims.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_tasks_run_inline_without_redis_and_on_the_broker_with_it():
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.REDIS_URL)


@pytest.mark.django_db
def test_failed_logins_are_rate_limited(client, django_user_model):
    """R-SEC-4: after five wrong passwords for one account even the right one waits.

    A user of its own: the lock lasts five minutes in the shared cache (Redis in CI), and
    clearing that cache would also clear Celery's broker data."""
    django_user_model.objects.create_user("ratelimit@example.no", "right-password-1")
    url = reverse("account_login")
    for _ in range(5):
        client.post(url, {"login": "ratelimit@example.no", "password": "wrong"})
    response = client.post(url, {"login": "ratelimit@example.no", "password": "right-password-1"})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
