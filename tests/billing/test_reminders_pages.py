"""The reminders pages (issue 8 point 7, R-BIL-10): the log with its filters, the
reminder settings with the fee cap, the invoice page's reminders, another club's admin
kept out; the operator's command and the daily beat task."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from billing import reminders, tasks
from billing.models import Reminder

from .conftest import make_club, make_fee
from .pages import fresh, log_in_admin, url
from .test_reminders import DUE, FEE, bill, invoice_of, member, set_schedule

pytestmark = pytest.mark.django_db


def page_url(name: str, club, query: str = "") -> str:
    path = reverse(f"reminders:{name}", args=[club.slug])
    return f"{path}?{query}" if query else path


@pytest.fixture
def admin(client, club):
    log_in_admin(client, club)
    return client


@pytest.fixture
def sent(club):
    """Agnes (e-mail) reminded twice with a fee on the second, Cecilie (neither e-mail
    nor mobile) once, for the post."""
    set_schedule(club, "7,21")
    fee = make_fee(club, price="600.00")
    agnes = member(club, fee, "Agnes")
    cecilie = member(club, fee, "Cecilie", email=False)
    bill(club)
    reminders.send_reminders(club, DUE + timedelta(days=7))
    reminders.send_reminders(club, DUE + timedelta(days=21))
    return agnes, cecilie


def rows(response) -> list[tuple[str, int]]:
    return [(r.invoice.recipient_name, r.level) for r in response.context["page"].object_list]


def test_the_log_lists_reminders_with_their_channels_and_filters(admin, club, sent):
    agnes, cecilie = sent
    response = admin.get(page_url("log", club))
    assert response.status_code == 200
    page = response.content.decode()
    assert len(response.context["page"].object_list) == 4
    assert "For post" in page and "E-mail" in page and "70,00 kr" in page
    assert "Reminder 2: 21 days after the due date · fee 70,00 kr" in page
    assert rows(admin.get(page_url("log", club, "channel=post"))) == [
        ("Cecilie Hansen", 2),
        ("Cecilie Hansen", 1),
    ]
    assert rows(admin.get(page_url("log", club, "with_fee=on"))) == [
        ("Cecilie Hansen", 2),
        ("Agnes Hansen", 2),
    ]
    assert {r[0] for r in rows(admin.get(page_url("log", club, "q=agnes")))} == {"Agnes Hansen"}
    number = invoice_of(agnes).number
    assert rows(admin.get(page_url("log", club, f"q={number}&level=1"))) == [("Agnes Hansen", 1)]
    day7 = (DUE + timedelta(days=7)).strftime("%d.%m.%Y")
    assert len(rows(admin.get(page_url("log", club, f"date_to={day7}")))) == 2


def test_a_wrong_filter_shows_its_error(admin, club, sent):
    response = admin.get(page_url("log", club, "date_from=31.02.2026"))
    assert response.status_code == 200
    assert rows(response) == [] and "Enter a valid date" in response.content.decode()


def test_the_invoice_page_shows_its_reminders(admin, club, sent):
    agnes, _ = sent
    page = admin.get(url("invoice", club, invoice_of(agnes).pk)).content.decode()
    assert 'id="invoice-reminders"' in page and "(2)" in page and "70,00 kr" in page


def test_settings_save_the_fee_and_sms_and_refuse_a_fee_over_the_cap(admin, club, settings):
    settings.REMINDER_FEE_CAP = Decimal("75.00")
    club.reminder_days = "14,29"
    club.save()
    response = admin.get(page_url("settings", club))
    assert response.status_code == 200
    assert "14,29" in response.content.decode()

    response = admin.post(page_url("settings", club), {"reminder_fee": "80,00"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "at most 75,00 kr" in page and 'value="80,00"' in page
    assert reminders.settings_for(club).reminder_fee == 0

    response = admin.post(page_url("settings", club), {"reminder_fee": "70,00 kr"})
    assert response.status_code == 302
    saved = reminders.settings_for(club)
    assert (saved.reminder_fee, saved.reminder_by_sms) == (FEE, False)
    page = admin.get(response.url).content.decode()
    assert "Reminder 1: 14 days after the due date · fee 70,00 kr" in page
    assert "Reminder 2: 29 days after the due date · fee 70,00 kr" in page


def test_another_clubs_admin_is_kept_out_and_sees_only_their_own(client, club, sent):
    """A foreign club's slug is refused by the club middleware (403, as for every club
    page; tests/members/test_isolation.py); the admin's own log has none of its rows."""
    other = make_club("annen-il")
    log_in_admin(client, other, "kasserer@annen.no")
    for name in ("log", "settings"):
        response = client.get(page_url(name, club))
        assert response.status_code in (403, 404) and b"Agnes" not in response.content
    response = client.get(page_url("log", other))
    assert response.status_code == 200 and rows(response) == []
    response = client.post(page_url("settings", club), {"reminder_fee": "1"})
    assert response.status_code in (403, 404)
    assert reminders.settings_for(club).reminder_fee == FEE


def test_a_member_who_is_not_admin_is_refused(client, club, sent):
    from members.services import get_or_create_user

    with scopes_disabled():
        user = get_or_create_user("agnes@example.no", "pw-123456789")
    client.force_login(user)
    assert client.get(page_url("log", club)).status_code in (403, 404)


# --- command and beat -----------------------------------------------------------------


def test_the_command_sends_once_per_date(club):
    set_schedule(club, "7")
    agnes = member(club, make_fee(club), "Agnes")
    bill(club)
    day = (DUE + timedelta(days=7)).isoformat()
    out = StringIO()
    call_command("send_reminders", "--club", club.slug, "--date", day, stdout=out)
    call_command("send_reminders", "--club", club.slug, "--date", day, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{club.slug}: 1 reminder(s) on {day}, 1 e-mail(s)")
    assert lines[1].startswith(f"{club.slug}: 0 reminder(s)")
    with scopes_disabled():
        assert Reminder.objects.filter(invoice__recipient=agnes).count() == 1


def test_the_command_refuses_a_bad_date_or_club(club):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "2026-02-30")
    with pytest.raises(CommandError, match="No club"):
        call_command("send_reminders", "--club", "no-such-club")


def test_the_daily_task_queues_each_club_with_a_schedule(club, monkeypatch):
    set_schedule(club, "7")
    quiet = make_club("stille-il")
    quiet.reminder_days = ""
    quiet.save()
    queued = []
    monkeypatch.setattr(tasks.send_reminders, "delay", lambda *args: queued.append(args))
    count = tasks.send_reminders_daily()
    today = timezone.localdate().isoformat()
    assert (club.pk, today) in queued and all(pk != quiet.pk for pk, _ in queued)
    assert count == len(queued)


def test_the_task_sends_one_clubs_reminders(club):
    set_schedule(club, "7")
    member(club, make_fee(club), "Agnes")
    bill(club)
    assert tasks.send_reminders(club.pk, (DUE + timedelta(days=7)).isoformat()) == 1
    assert fresh(club).reminder_days == "7"


def test_beat_runs_the_reminders_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["billing-send-reminders"]
    assert entry["task"] == tasks.send_reminders_daily.name == "billing.send_reminders_daily"
