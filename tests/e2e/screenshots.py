"""Screenshots of the main pages at desktop and phone width, for a human to look at.

Not collected by pytest. Start the dev server with the demo data first::

    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8765 &
    .venv/bin/python tests/e2e/screenshots.py [--base http://127.0.0.1:8765] [--out /tmp/shots]

Writes <page>-<desktop|phone>.png (full page) and <page>-<desktop|phone>-top.png (the
first screenful) into the output folder.
"""

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.e2e.browser import CHROMIUM_ARGS  # noqa: E402  (one list of browser flags)

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "shots"))
    parser.add_argument("--club", default="demo-a")
    parser.add_argument("--other-club", default="demo-b", help="a club the user may not see")
    parser.add_argument("--email", default="admin-a@example.no")
    parser.add_argument("--password", default="demo1234")
    parser.add_argument("--lang", default="nb", help="interface language (nb or en)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = args.base.rstrip("/")
    club = f"{base}/club/{args.club}"
    executable = shutil.which("chromium") or "/usr/bin/chromium"

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for size_name, (width, height) in SIZES.items():
            context = browser.new_context(
                viewport={"width": width, "height": height},
                locale="nb-NO",
                device_scale_factor=1,
                is_mobile=size_name == "phone",
                has_touch=size_name == "phone",
            )
            context.add_cookies([{"name": "django_language", "value": args.lang, "url": base}])
            page = context.new_page()

            def shot(name: str, page=page, size_name=size_name) -> None:
                path = out / f"{name}-{size_name}.png"
                page.screenshot(path=str(path), full_page=True)
                top = out / f"{name}-{size_name}-top.png"
                page.screenshot(path=str(top))  # the first screenful, at readable scale
                print(path, top)

            page.goto(f"{base}/accounts/login/")
            shot("login")
            page.fill("input[name=login]", args.email)
            page.fill("input[name=password]", args.password)
            page.click("main form button[type=submit]")
            page.wait_for_load_state("networkidle")

            page.goto(f"{club}/")
            shot("dashboard")
            page.goto(f"{club}/members/")
            shot("overview")
            page.locator("table.members tbody a").first.click()
            page.wait_for_url(re.compile(r"/members/\d+/$"))
            shot("card")
            page.goto(f"{club}/members/new/")
            shot("create")
            page.goto(
                f"{club}/members/new/?first_name=Kari&last_name=Nordmann&birth_date=1980-01-01"
            )
            shot("create-result")
            page.goto(f"{club}/settings/")
            shot("settings")
            page.goto(f"{base}/club/{args.other_club}/members/")
            shot("denied")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
