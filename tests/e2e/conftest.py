"""Browser tests: Playwright (sync API) driving Debian's Chromium against ``live_server``.

One browser per session, a fresh context (cookies, language) per test. Without a
Chromium the tests are skipped, except on CI (CI=true), where that is a failure.
Set CHROMIUM_PATH to use another binary.
"""

import os
import re
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# ORM calls from the test (fixtures, database flush) as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.conftest import DEMO_PASSWORD  # noqa: E402
from tests.e2e.browser import CHROMIUM_ARGS  # noqa: E402

TIMEOUT_MS = 10_000


def chromium_path() -> str | None:
    """CHROMIUM_PATH if set, else chromium on PATH, else Debian's /usr/bin/chromium."""
    configured = os.environ.get("CHROMIUM_PATH")
    candidates = [configured] if configured else [shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        message = (
            "No Chromium found for the browser tests (looked at $CHROMIUM_PATH, `chromium` "
            "on PATH and /usr/bin/chromium). Install Debian's chromium package."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} On CI the browser tests must run.", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh contexts: ``new_page()`` desktop, ``new_page(390, 844)`` phone."""
    contexts = []

    def make(width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            locale="nb-NO",
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


def log_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the real allauth form, as a user would."""
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


expect.set_options(timeout=TIMEOUT_MS)
