"""Benchmark: an invoice run over 10,000 agreements, then invoice PDFs in one worker process
against a tuned bare WeasyPrint loop over the same HTML.

    .venv/bin/python bench/invoice_run.py          (or: make bench)

1. Drops and recreates the PostgreSQL database ``ims_bench_invoices`` and migrates it.
   ``DATABASE_URL`` chooses the server and the name, to which ``_invoices`` is added: the
   database it names is never dropped (``…/ims_bench`` gives ``…/ims_bench_invoices``).
2. Loads, with PostgreSQL COPY, one club (account, org number, address, logo, a terms
   text of ~400 words) with a yearly membership fee and an age band for children, and
   10,000 agreements due: 7,000 adults who pay for themselves and 1,500 guardians who
   pay for two children each (8,500 invoices, 10,000 lines).
3. The run, timed: ``billing.services.run_invoices`` as the daily task calls it, the
   PDF hook included (its tasks are published to an in-memory broker and not run).
   Checks gapless numbers and one line per agreement. Goal: ≤ 20 s.
4. PDFs, in a child process of their own (its RSS is its own): N invoices (default
   500) through ``billing.pdf.issue_invoices`` as a worker runs it (read the invoice,
   render with the process's stylesheet and fonts, store the file, conditional
   UPDATE). Between those tasks, a bare WeasyPrint loop over the same invoices' HTML
   (rendered beforehand, not timed): one pre-parsed ``CSS`` and one
   ``FontConfiguration``, ``HTML(string=…).write_pdf()`` to bytes. The two take turns
   every 25 PDFs (tasks of 25 ids; a worker's hold 100, which only saves two queries
   per 100), so that other processes' load falls on both alike. Prints PDFs/s of
   both, the ratio (goal ≥ 0.9) and the RSS after each 100 PDFs (goal: flat).
docs/benchmarks.md records the figures.
"""

import argparse
import datetime as dt
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ims_bench"
SUFFIX = "_invoices"
CLUB_SLUG = "bench-invoices"
RUN_DATE = dt.date(2026, 1, 15)
ADULTS, GUARDIANS, CHILDREN_EACH = 7_000, 1_500, 2
GOAL_RUN_S = 20.0
GOAL_RATIO = 0.9
GOAL_RSS_GROWTH_MB = 20.0  # from the first 100 PDFs to the last
BLOCK = 25  # PDFs of one side before the other's turn (tasks of 25 ids, not 100)
RSS_EVERY = 100


def bench_database_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.endswith(SUFFIX):
        name += SUFFIX
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


os.environ["DATABASE_URL"] = bench_database_url(
    os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
)
os.environ.pop("REDIS_URL", None)  # no broker: the run's PDF tasks stay in memory
os.environ["MEDIA_ROOT"] = os.environ.get("BENCH_MEDIA_ROOT") or tempfile.mkdtemp(
    prefix="ims-bench-invoices-"
)
os.environ["BENCH_MEDIA_ROOT"] = os.environ["MEDIA_ROOT"]  # the child uses the same

from bench import member_list  # noqa: E402 (bench settings; COPY helpers, names)


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit(f"bench: needs PostgreSQL, DATABASE_URL is {url!r}")
    libpq_url = "postgresql://" + url.split("://", 1)[1]
    name = conninfo_to_dict(libpq_url)["dbname"]
    if not name.endswith(SUFFIX):
        sys.exit(f"bench: will not drop {name!r}, only a database whose name ends in {SUFFIX}")
    with psycopg.connect(make_conninfo(libpq_url, dbname="postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


TERMS_SENTENCES = [
    "Medlemskontingenten betales forskuddsvis for hele perioden og refunderes ikke.",
    "Utmelding skjer skriftlig til klubben.",
    "Ved manglende betaling etter purring kan medlemskapet opphøre.",
    "Klubben behandler personopplysninger etter personvernerklæringen på nettsiden.",
]


def terms_text(rng: random.Random) -> str:
    """Five paragraphs of 80 words (~400 words): the size of a real club's terms."""
    words = " ".join(TERMS_SENTENCES).split()
    paragraphs = [" ".join(rng.choice(words) for _ in range(80)) for _ in range(5)]
    return "\n\n".join(p[0].upper() + p[1:] + "." for p in paragraphs)


def logo_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 390, 390), fill=(20, 80, 160, 255))
    draw.polygon([(200, 60), (330, 320), (70, 320)], fill=(255, 200, 40, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def load(rng: random.Random):
    """The club, its fee and 10,000 due agreements (persons, memberships, agreements by
    COPY). Returns the club."""
    from django.core.files.base import ContentFile
    from django.db import connection, transaction
    from django_scopes import scopes_disabled

    from billing.models import Agreement, Fee, PriceRule
    from members.identity import clean_name, name_key
    from members.models import Club, Membership, MembershipCategory, Person

    started = time.monotonic()
    with scopes_disabled(), transaction.atomic():
        club = Club.objects.create(
            slug=CLUB_SLUG,
            name="Benk Idrettslag",
            org_number="923609016",
            bank_account="12345678903",
            address_line="Stadionveien 1",
            postal_code="0150",
            city="Oslo",
            email_sender="kasserer@benk-il.invalid",
            terms=terms_text(rng),
        )
        club.logo.save("benk-logo.png", ContentFile(logo_png()))
        category = MembershipCategory.objects.create(club=club, name="Ordinær")
        fee = Fee.objects.create(
            club=club,
            name="Medlemskontingent",
            kind=Fee.Kind.MEMBERSHIP,
            category=category,
            price="1450.00",
            period="year",
        )
        PriceRule.objects.create(
            club=club, fee=fee, kind=PriceRule.Kind.AGE_BAND, max_age=17, percent=40
        )

        count = ADULTS + GUARDIANS * (1 + CHILDREN_EACH)
        person_ids = member_list.reserve_ids(Person, count)
        persons, payer_of = [], {}
        for i, pk in enumerate(person_ids):
            first = clean_name(rng.choice(member_list.FIRST_NAMES))
            last = clean_name(rng.choice(member_list.LAST_NAMES))
            child = i >= ADULTS + GUARDIANS
            years = rng.randint(6, 16) if child else rng.randint(20, 80)
            persons.append(
                Person(
                    id=pk,
                    public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    first_name=first,
                    last_name=last,
                    first_name_key=name_key(first),
                    last_name_key=name_key(last),
                    birth_date=RUN_DATE - dt.timedelta(days=years * 365 + rng.randint(0, 300)),
                    email=f"p{i}@bench-invoices.invalid",
                    address_line=f"{rng.choice(member_list.LAST_NAMES)}veien {rng.randint(1, 200)}",
                    postal_code=f"{rng.randint(1, 9999):04d}",
                    city="Oslo",
                )
            )
            if child:  # children come after the guardians, two each
                payer_of[pk] = person_ids[ADULTS + (i - ADULTS - GUARDIANS) // CHILDREN_EACH]
        member_list.copy_rows(Person, persons)
        billed = person_ids[:ADULTS] + person_ids[ADULTS + GUARDIANS :]
        membership_ids = member_list.reserve_ids(Membership, len(billed))
        member_list.copy_rows(
            Membership,
            [
                Membership(
                    id=mid,
                    club_id=club.pk,
                    person_id=pid,
                    category_id=category.pk,
                    status=Membership.Status.ACTIVE,
                    member_number=str(n + 1),
                    source=Membership.Source.MIGRATED,
                    started_on=dt.date(2020, 1, 1),
                    next_billing_date=RUN_DATE,
                )
                for n, (mid, pid) in enumerate(zip(membership_ids, billed, strict=True))
            ],
        )
        agreement_ids = member_list.reserve_ids(Agreement, len(billed))
        member_list.copy_rows(
            Agreement,
            [
                Agreement(
                    id=aid,
                    club_id=club.pk,
                    fee_id=fee.pk,
                    person_id=pid,
                    membership_id=mid,
                    payer_id=payer_of.get(pid, pid),
                    payment_method=Agreement.PaymentMethod.INVOICE,
                    next_billing_date=RUN_DATE,
                    source=Agreement.Source.MIGRATED,
                )
                for aid, mid, pid in zip(agreement_ids, membership_ids, billed, strict=True)
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"Loaded {len(persons):,} persons, {len(billed):,} memberships and agreements due "
        f"(payers: {ADULTS:,} adults, {GUARDIANS:,} guardians of {CHILDREN_EACH} children) "
        f"in {time.monotonic() - started:.1f} s"
    )
    return club


def run(club) -> tuple[float, object]:
    from django_scopes import scopes_disabled

    from billing import services
    from billing.models import Invoice, InvoiceLine
    from ims.celery import app

    app.conf.task_always_eager = False  # the hook publishes to the in-memory broker
    app.conf.broker_url = "memory://localhost/"
    started = time.monotonic()
    result = services.run_invoices(club, RUN_DATE, send=False)
    seconds = time.monotonic() - started
    with scopes_disabled():
        numbers = list(
            Invoice.objects.filter(club=club).order_by("number").values_list("number", flat=True)
        )
        lines = InvoiceLine.objects.filter(club=club).count()
    assert numbers == list(range(1, len(numbers) + 1)), "numbers have a gap"
    assert lines == ADULTS + GUARDIANS * CHILDREN_EACH, f"{lines} lines"
    print(
        f"Run: {result.invoices:,} invoices, {lines:,} lines, {result.amount:,} NOK "
        f"in {seconds:.2f} s ({lines / seconds:,.0f} agreements/s), numbers 1–{numbers[-1]} "
        f"without gaps"
    )
    return seconds, result


# --- The PDF child process ---------------------------------------------------------------


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_pdfs(count: int) -> None:
    """In a process of its own: our tasks and the bare loop, alternating chunks."""
    import django

    django.setup()
    from django.conf import settings
    from django_scopes import scopes_disabled
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from billing.models import Invoice
    from billing.pdf import issue_invoices
    from billing.pdf.documents import invoice_html
    from billing.pdf.rendering import stylesheet_path

    with scopes_disabled():
        invoices = list(
            Invoice.objects.filter(club__slug=CLUB_SLUG)
            .select_related("club")
            .prefetch_related("lines")
            .order_by("number")[: count + 1]
        )
    warm, invoices = invoices[0], invoices[1:]
    # the bare loop's input: the same HTML, its logo as a plain file URL
    logo = Path(settings.MEDIA_ROOT, warm.club.logo.name).as_uri()
    htmls = [invoice_html(inv).replace(f"media:{warm.club.logo.name}", logo) for inv in invoices]
    font_config = FontConfiguration()
    css = CSS(filename=str(stylesheet_path()), font_config=font_config)
    base_url = stylesheet_path().as_uri()

    def bare(html: str) -> bytes:
        return HTML(string=html, base_url=base_url).write_pdf(
            stylesheets=[css], font_config=font_config
        )

    issue_invoices.run([warm.pk], False)  # each side warms up once (caches, first font use)
    bare(htmls[0])
    times = {"ours": 0.0, "bare": 0.0}
    rss, sizes = [], []

    def ours_block(block):
        t = time.perf_counter()
        issue_invoices.run([inv.pk for inv in block], False)
        times["ours"] += time.perf_counter() - t

    def bare_block(block_htmls):
        t = time.perf_counter()
        sizes.extend(len(bare(html)) for html in block_htmls)
        times["bare"] += time.perf_counter() - t

    for n, i in enumerate(range(0, len(invoices), BLOCK)):
        block, block_htmls = invoices[i : i + BLOCK], htmls[i : i + BLOCK]
        if n % 2:  # who goes first alternates too
            bare_block(block_htmls)
            ours_block(block)
        else:
            ours_block(block)
            bare_block(block_htmls)
        if (i + len(block)) % RSS_EVERY == 0:
            rss.append(rss_mb())
    with scopes_disabled():
        stored = Invoice.objects.filter(pk__in=[inv.pk for inv in invoices]).exclude(pdf="")
        stored_count = stored.count()
    print(
        json.dumps(
            {
                "count": len(invoices),
                "stored": stored_count,
                "ours_s": times["ours"],
                "bare_s": times["bare"],
                "rss": rss,
                "peak": peak_rss_mb(),
                "bare_bytes": sum(sizes) / len(sizes),
            }
        )
    )


def pdfs(count: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child-pdfs", str(count)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdfs", type=int, default=500, help="invoices rendered (default 500)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--child-pdfs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_pdfs:
        child_pdfs(args.child_pdfs)
        return 0

    started = time.monotonic()
    recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    print(f"Database {connection.settings_dict['NAME']} recreated and migrated")
    club = load(random.Random(20260115))  # noqa: S311 - test data
    run_s, _result = run(club)
    connection.close()

    try:
        pdf = pdfs(args.pdfs)
    finally:
        shutil.rmtree(os.environ["MEDIA_ROOT"], ignore_errors=True)
    n = pdf["count"]
    ours, bare = n / pdf["ours_s"], n / pdf["bare_s"]
    ratio = ours / bare
    growth = pdf["rss"][-1] - pdf["rss"][0]
    print(
        f"PDFs, one process: {n} invoices rendered and stored ({pdf['stored']} stored) in "
        f"{pdf['ours_s']:.2f} s = {ours:.1f} PDFs/s ({1000 / ours:.0f} ms each)"
    )
    print(
        f"Baseline, bare WeasyPrint loop (pre-parsed CSS, shared FontConfiguration, "
        f"write_pdf to bytes) over the same HTML: {pdf['bare_s']:.2f} s = {bare:.1f} PDFs/s "
        f"({1000 / bare:.0f} ms each, {pdf['bare_bytes'] / 1024:.0f} KB a PDF)"
    )
    print(f"Ratio ours/bare: {ratio:.2f}")
    print(
        "RSS after each 100 PDFs (MB): "
        + ", ".join(f"{mb:.0f}" for mb in pdf["rss"])
        + f"; peak {pdf['peak']:.0f} MB"
    )
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    goals = {
        f"run ≤ {GOAL_RUN_S:.0f} s": run_s <= GOAL_RUN_S,
        f"PDFs ≥ {GOAL_RATIO} × baseline": ratio >= GOAL_RATIO,
        f"flat memory (≤ {GOAL_RSS_GROWTH_MB:.0f} MB growth)": growth <= GOAL_RSS_GROWTH_MB,
    }
    for goal, ok in goals.items():
        print(f"Goal {goal}: {'met' if ok else 'NOT met'}")
    print(f"Bench total {time.monotonic() - started:.0f} s (load average {load_avg})")
    return 1 if args.check and not all(goals.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
