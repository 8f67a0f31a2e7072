"""Invoice run pages (R-BIL-4, R-BIL-11): the preview with its anomalies and export,
starting a run once however often the button is pressed, and the progress and results."""

import csv
import io

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from billing import services, tasks
from billing.models import Agreement, Invoice, InvoiceRun

from .conftest import make_fee, make_member
from .pages import log_in_admin, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, club):
    log_in_admin(client, club)
    return client


@pytest.fixture
def due(club):
    """Three members due today; one without e-mail, one without address."""
    today = timezone.localdate()
    fee = make_fee(club, price="750.00")
    make_member(club, "Agnes", fee=fee, next_billing_date=today)
    no_mail = make_member(club, "Brede", fee=fee, next_billing_date=today)
    make_member(club, "Cato", fee=fee, next_billing_date=today, address="")
    make_member(club, "Senere", fee=fee, next_billing_date=today.replace(year=today.year + 1))
    with scopes_disabled():
        no_mail.person.email = ""
        no_mail.person.save()
    return fee


@pytest.fixture
def queued(monkeypatch):
    """The run task's calls, recorded instead of sent to a broker."""
    calls = []
    monkeypatch.setattr(tasks.run_invoices, "delay", lambda *a, **kw: calls.append((a, kw)))
    return calls


def start_form(response) -> dict:
    start = response.context["start"]
    return {
        "run_date": start["run_date"].value().strftime("%d.%m.%Y"),
        "token": start["token"].value(),
        "send": "on",
    }


def test_preview_shows_who_is_billed_with_totals_and_anomalies(admin, club, due):
    response = admin.get(url("preview", club))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary["invoices"], str(summary["total"])) == (3, "2250.00")
    assert dict(summary["anomalies"]) == {"No e-mail: by post": 1, "No postal address": 1}
    page = response.content.decode()
    assert "Agnes Hansen" in page and "Senere" not in page  # not due before next year
    assert "2\xa0250,00" in page
    assert 'action="' + url("run_start", club) + '"' in page
    only = admin.get(url("preview", club, query="anomalies=1"))
    names = [row.payer.first_name for row in only.context["page"].object_list]
    assert names == ["Brede", "Cato"]
    with scopes_disabled():
        assert not Invoice.objects.filter(club=club).exists()  # a preview writes nothing


def test_preview_of_another_day_has_no_start_button(admin, club, due):
    next_year = timezone.localdate().replace(year=timezone.localdate().year + 1)
    response = admin.get(url("preview", club, query=f"date={next_year:%d.%m.%Y}"))
    assert response.context["summary"]["invoices"] == 4
    page = response.content.decode()
    assert url("run_start", club) not in page
    assert "A run is made with today's date" in page


def test_preview_with_a_wrong_date_says_so_and_shows_today(admin, club, due):
    response = admin.get(url("preview", club, query="date=99.99.2026"))
    assert response.status_code == 200
    assert response.context["run_date"] == timezone.localdate()
    assert "Enter a valid date" in response.content.decode()


def test_preview_export_csv_and_xlsx(admin, club, due):
    response = admin.get(url("preview_export", club, "csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Invoice recipient"
    assert len(rows) == 4
    brede = next(r for r in rows if r[0] == "Brede Hansen")
    assert brede[10] == "750,00" and "No e-mail: by post" in brede[12]
    assert brede[7] == timezone.localdate().strftime("%d.%m.%Y")
    response = admin.get(url("preview_export", club, "xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 4
    assert admin.get(url("preview_export", club, "pdf")).status_code == 404


def test_start_runs_once_however_often_it_is_pressed(
    admin, club, due, queued, django_capture_on_commit_callbacks
):
    form = start_form(admin.get(url("preview", club)))
    with django_capture_on_commit_callbacks(execute=True):
        first = admin.post(url("run_start", club), form)
        second = admin.post(url("run_start", club), form, follow=True)
    assert first.status_code == 302 and "?after=" in first["Location"]
    assert "started already" in second.content.decode()
    assert len(queued) == 1
    (club_id, day), kwargs = queued[0]
    assert (club_id, day, kwargs["send"]) == (club.pk, timezone.localdate().isoformat(), True)

    # the task, run twice (a retry, the beat): the second bills nothing
    tasks.run_invoices(club_id, day, user_id=kwargs["user_id"], send=True)
    tasks.run_invoices(club_id, day, user_id=kwargs["user_id"], send=True)
    with scopes_disabled():
        assert Invoice.objects.filter(club=club).count() == 3
        first_run = InvoiceRun.objects.filter(club=club).order_by("pk").first()
    assert (first_run.invoices, first_run.send) == (3, True)
    listing = admin.get(first["Location"])
    assert not listing.context["waiting"]


def test_start_refuses_a_preview_of_another_day(admin, club, due, queued):
    form = start_form(admin.get(url("preview", club)))
    form["run_date"] = "01.01.2020"
    response = admin.post(url("run_start", club), form, follow=True)
    assert "An invoice run is made with today" in response.content.decode()
    assert queued == []


def test_run_list_polls_while_waiting_and_running(admin, club, due):
    waiting = admin.get(url("runs", club, query="after=0"))
    assert waiting.context["waiting"] and waiting.context["polling"]
    assert "hx-trigger" in waiting.content.decode()
    services.run_invoices(club, timezone.localdate())
    done = admin.get(url("runs", club, query="after=0"))
    assert not done.context["polling"]
    assert "hx-trigger" not in done.content.decode()
    partial = admin.get(url("runs", club), HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b'id="runs"' in partial.content


def test_run_detail_progress_and_results(admin, club, due, monkeypatch):
    run = services.run_invoices(club, timezone.localdate())
    page = admin.get(url("run", club, run.pk)).content.decode()
    assert "3" in page and "2\xa0250,00" in page
    assert url("invoices", club) + f"?run={run.pk}" in page
    finished = admin.get(url("run_progress", club, run.pk))
    assert finished.status_code == 204 and finished["HX-Refresh"] == "true"
    with scopes_disabled():
        InvoiceRun.objects.filter(pk=run.pk).update(status="running", done=1)
    # a live worker holds the run's lock (in this test: nobody is marked interrupted)
    monkeypatch.setattr(services, "mark_interrupted_runs", lambda club, **kwargs: 0)
    running = admin.get(url("run_progress", club, run.pk))
    assert running.status_code == 200
    assert b"<progress" in running.content and b"1 of 3" in running.content
    invoices = admin.get(url("invoices", club, query=f"run={run.pk}"))
    assert invoices.context["totals"]["count"] == 3


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a run's liveness is a PostgreSQL advisory lock"
)
def test_a_killed_run_stops_its_progress_bar_and_says_so(admin, club, due):
    """A run still "running" whose worker is gone (its lock is free) is marked failed."""
    with scopes_disabled():
        run = InvoiceRun.objects.create(club=club, run_date=timezone.localdate(), total=3)
    finished = admin.get(url("run_progress", club, run.pk))
    assert finished.status_code == 204
    page = admin.get(url("run", club, run.pk)).content.decode()
    assert "Interrupted: the run stopped before it finished." in page


def test_a_failed_run_shows_its_error(admin, club, due):
    with scopes_disabled():
        run = InvoiceRun.objects.create(
            club=club, run_date=timezone.localdate(), status="failed", error="Boom: disk full"
        )
    page = admin.get(url("run", club, run.pk)).content.decode()
    assert "Boom: disk full" in page
    assert "no one twice" in page


def test_agreements_not_due_are_not_in_the_preview(admin, club, due):
    with scopes_disabled():
        Agreement.objects.filter(club=club).update(
            next_billing_date=timezone.localdate().replace(year=timezone.localdate().year + 1)
        )
    response = admin.get(url("preview", club))
    assert response.context["summary"]["invoices"] == 0
    assert "Nothing is due on" in response.content.decode()
