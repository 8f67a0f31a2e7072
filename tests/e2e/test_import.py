"""The import from the old system in a real browser, as a club admin does it: upload the
federation's extract, watch the progress bar finish, import an overlapping extract,
resolve a review item with one click and look at the data-quality page
(R-MIG-1, R-MIG-4, R-MIG-8).

With REDIS_URL set (CI) the import runs in a real Celery worker started here, and the
batch page polls its progress until the worker is done. Without it the task runs
eagerly inside the upload request and the batch page opens finished.
"""

import re
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from ims.celery import app
from members.models import Membership
from migration.models import ImportBatch, ImportRow

from .conftest import log_in

pytestmark = pytest.mark.e2e

SAMPLES = Path("/work/shared/data/sample")
EXTRACT_FILES = ("members.csv", "groups.csv", "waitlist.csv")
IMPORTS = "/club/demo-a/import/"
REVIEW = "/club/demo-a/import/review/"
QUALITY = "/club/demo-a/data-quality/"
IMPORT_TIMEOUT_MS = 90_000  # a worker imports a few hundred rows in seconds; CI is slower


@pytest.fixture
def celery_worker():
    """A real worker consuming from Redis while the test runs; nothing without REDIS_URL
    (tasks then run eagerly in the upload request). Yields whether a worker runs."""
    if not django_settings.REDIS_URL:
        yield False
        return
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            yield True
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded originals (R-MIG-9) go to a temporary folder, not the project's media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def extract(club: str) -> list[Path]:
    paths = [SAMPLES / club / name for name in EXTRACT_FILES]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        pytest.skip(f"sample extract missing: {missing}")
    return paths


def stat_numbers(page: Page) -> dict[str, int]:
    """The totals on a finished batch page, keyed by the outcome each links to."""
    out: dict[str, int] = {}
    for stat in page.locator(".stats a.stat").all():
        outcome = re.search(r"outcome=(\w+)", stat.get_attribute("href")).group(1)
        number = int(stat.locator(".num").inner_text())
        out[outcome] = out.get(outcome, 0) + number
    return out


def upload_and_wait(page: Page, club: str, *, worker: bool) -> ImportBatch:
    """Upload a club's three CSV files on the import page, follow the progress bar on the
    batch page until the import has finished, and return the batch."""
    page.goto(IMPORTS)
    page.locator("main form input[type=file][name=files]").set_input_files(extract(club))
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/club/demo-a/import/\d+/$"))
    batch_id = int(re.search(r"/import/(\d+)/$", page.url).group(1))

    progress = page.locator("#progress")
    if progress.count():
        # Still queued or running: the bar is on the page and polls /progress/ every
        # second; when the import has ended the page reloads itself without it.
        assert worker, "without a worker the import runs inside the upload request"
        expect(progress.locator("progress")).to_be_visible()
        expect(progress).to_have_count(0, timeout=IMPORT_TIMEOUT_MS)
    expect(page.locator(".page-head .badge")).to_have_class(re.compile(r"\bbatch-done\b"))
    expect(page.locator(".stats a.stat").first).to_be_visible()

    with scopes_disabled():
        batch = ImportBatch.objects.get(pk=batch_id)
    assert batch.status == ImportBatch.Status.DONE, batch.error
    expected: dict[str, int] = {}
    for counts in batch.totals.values():
        for outcome, n in counts.items():
            expected[outcome] = expected.get(outcome, 0) + n
    assert stat_numbers(page) == expected
    return batch


def test_import_review_and_data_quality(page, demo_clubs_tx, celery_worker, media_root):
    log_in(page, "admin-a@example.no")

    # Club A's extract into an empty registry (apart from the demo members).
    first = upload_and_wait(page, "club-a", worker=celery_worker)
    assert first.totals["members"]["new"] > 0
    page.goto(IMPORTS)
    expect(page.locator(f'main table a[href$="/import/{first.pk}/"]')).to_be_visible()

    # Club B's extract overlaps club A's: some rows now wait for review.
    second = upload_and_wait(page, "club-b", worker=celery_worker)
    assert second.totals["members"]["matched"] > 0
    assert second.totals["members"]["review"] > 0
    with scopes_disabled():
        open_rows = ImportRow.objects.filter(
            batch__club=demo_clubs_tx["a"],
            outcome=ImportRow.Outcome.REVIEW,
            resolved_at__isnull=True,
        ).count()
    assert open_rows > 0

    # The batch page lists the rows for review with their explanation.
    page.locator('.stats a.stat[href="?outcome=review"]').first.click()
    expect(page).to_have_url(re.compile(r"\?outcome=review$"))
    rows = page.locator("table.table tbody tr")
    expect(rows).to_have_count(min(open_rows, 100))
    expect(rows.locator(".badge.outcome-review")).to_have_count(min(open_rows, 100))

    # The review list: resolve the first item with one click; it leaves the list.
    page.goto(REVIEW)
    items = page.locator("section.review-item")
    expect(items).to_have_count(min(open_rows, 100))
    item = items.first
    row_id = int(item.get_attribute("id").removeprefix("row-"))
    candidates = item.locator("li.candidate")
    if candidates.count():
        person_id = int(candidates.first.locator("input[name=person]").input_value())
        candidates.first.locator("button[type=submit]").click()  # "Link to this person"
    else:
        person_id = None
        item.locator("> form button[type=submit]").click()  # "Not the same person: create new"
    expect(page).to_have_url(re.compile(r"/club/demo-a/import/review/$"))
    expect(page.locator(".msg-error")).to_have_count(0)
    expect(page.locator(f"#row-{row_id}")).to_have_count(0)
    expect(items).to_have_count(min(open_rows - 1, 100))
    with scopes_disabled():
        row = ImportRow.objects.get(pk=row_id)
    assert row.resolved_at is not None and row.resolved_by == demo_clubs_tx["admin_a"]
    assert row.person_id is not None
    if person_id is not None:
        assert row.outcome == ImportRow.Outcome.MATCHED and row.person_id == person_id
    else:
        assert row.outcome == ImportRow.Outcome.NEW

    # The data-quality page: its sections, the rejected rows listed with links back to
    # the batch, and the review section counting what is still open.
    page.goto(QUALITY)
    # Sections with something to fix come first as cards; the rest are listed "in order".
    sections = page.locator(".quality-section")
    expect(sections.first).to_be_visible()
    assert sections.count() >= 5
    for key in ("rejected", "review"):
        expect(page.locator(f"section.quality-section#{key} h2")).to_be_visible()
    for key in ("missing_email", "possible_duplicates"):
        expect(page.locator(f".quality-section#{key}")).to_be_visible()
    rejected = sum(
        counts.get("rejected", 0) for batch in (first, second) for counts in batch.totals.values()
    )
    assert rejected > 0
    rejected_section = page.locator("section.quality-section#rejected")
    expect(rejected_section.locator("h2 .badge")).to_have_text(str(rejected))
    expect(rejected_section.locator("li")).to_have_count(min(rejected, 200))
    expect(rejected_section.locator("li a").first).to_have_attribute(
        "href", re.compile(r"/club/demo-a/import/\d+/\?outcome=rejected&row=\w+-\d+#row-")
    )
    review_section = page.locator("section.quality-section#review")
    expect(review_section.locator("h2 .badge")).to_have_text(str(open_rows - 1))

    # A rejected row's link opens the batch at that row.
    rejected_section.locator("li a").first.click()
    expect(page).to_have_url(re.compile(r"\?outcome=rejected&row=\w+-\d+#row-\w+-\d+$"))
    anchor = page.url.rsplit("#", 1)[1]
    expect(page.locator(f"tr#{anchor} .badge.outcome-rejected")).to_be_visible()

    # The member card tells where a person came from; its link opens the batch page
    # that holds the row, also when the row is beyond the first page of its outcome.
    with scopes_disabled():
        late = (
            ImportRow.objects.filter(batch=first, sheet="members", outcome="new")
            .order_by("-row_number")
            .first()
        )
        membership = Membership.objects.get(club=demo_clubs_tx["a"], person=late.person_id)
    page.goto(f"/club/demo-a/members/{membership.pk}/")
    panel_link = page.locator(f'#panel-import a[href*="/import/{first.pk}/"]')
    expect(panel_link).to_have_count(1)
    panel_link.click()
    row = page.locator(f"tr#row-members-{late.row_number}")
    expect(row).to_be_visible()
    expect(row.locator(".badge.outcome-new")).to_be_visible()
