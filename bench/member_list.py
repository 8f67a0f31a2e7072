"""Benchmark: the member overview against a bare Django ListView, 100,000 members.

    .venv/bin/python bench/member_list.py          (or: make bench)

1. Creates the PostgreSQL database ``ims_bench`` when missing (``DATABASE_URL`` overrides
   it), migrates it, and loads one club with 100,000 members, categories, groups and group
   links through PostgreSQL COPY. A database that already holds them is reused.
2. Serves the app with gunicorn (2 workers, DEBUG=False, ``bench.settings``) on a free
   port of 127.0.0.1. ``bench.urls`` adds the bare ListView next to the app's own URLs.
3. Logs in a club admin (a session made in the database) and checks that both pages answer
   200 with the same rows. Per page: a warm-up, requests one at a time (time and gunicorn
   CPU per request), then wrk in rounds that alternate between the two pages.
4. Prints req/s, p50 and p99 of both pages, the ratio overview/bare, and whether the goals
   hold on the filtered, paginated overview: ratio ≥ 0.8 in req/s, overview p99 ≤ 100 ms.
   docs/benchmarks.md records the figures.

Without wrk a small threaded http.client generator takes its place. gunicorn is stopped
at the end whatever happens.
"""

import argparse
import datetime as dt
import http.client
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ims_bench"
CLUB_SLUG = "bench"
ADMIN_EMAIL = "bench-admin@bench.invalid"
PERSON_EMAIL_DOMAIN = "bench.invalid"
GOAL_RATIO = 0.8
GOAL_P99_MS = 100.0

os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ["DEBUG"] = "False"


# --- Database ------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """Create the bench database when it does not exist yet."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        sys.exit(f"bench: needs PostgreSQL, DATABASE_URL is {url!r}")
    libpq_url = "postgresql://" + url.split("://", 1)[1]
    name = conninfo_to_dict(libpq_url)["dbname"]
    with psycopg.connect(make_conninfo(libpq_url, dbname="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            print(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def copy_rows(model, objs) -> None:
    """Insert model instances with PostgreSQL COPY, every concrete column included (ids
    are set beforehand), values prepared by the fields themselves (auto_now_add too)."""
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    statement = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"  # noqa: S608
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objs:
            copy.write_row(
                [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
            )


def reserve_ids(model, count: int) -> list[int]:
    """Take ``count`` ids from the table's identity sequence."""
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Anne Inger Kari Marit Ingrid Liv Eva Berit Astrid Bjørg Hilde Anna Solveig Marianne "
    "Randi Ida Nina Maria Elisabeth Kristin Silje Ingeborg Nora Emma Sofie Åse Tone Mari "
    "Jan Per Bjørn Ole Lars Kjell Knut Arne Svein Thomas Hans Geir Tor Morten Terje Odd "
    "Martin Erik Andreas Jon Anders Rune Trond Harald Olav Øyvind Jonas Magnus Jakob Emil "
    "Anne-Lise Kari-Anne Jan-Erik Per-Olav Lise Marte Sander Henrik Even Tobias Mathias"
)
LAST_NAMES = _words(
    "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen "
    "Johnsen Pettersen Eriksen Berg Haugen Hagen Johannessen Andreassen Jacobsen Dahl "
    "Jørgensen Halvorsen Henriksen Lund Sørensen Jakobsen Moen Gundersen Iversen Strand "
    "Solberg Svendsen Eide Knutsen Martinsen Paulsen Bakken Kristoffersen Mathisen Lie "
    "Amundsen Nguyen Rasmussen Ali Lunde Solheim Berge Moe Nygård Bakke Kristensen Fredriksen "
    "Holm Lien Hauge Christensen Andresen Nielsen Knudsen Evensen Sæther Aas Myhre Hanssen "
    "Ahmed Haugland Thomassen Sivertsen Simonsen Danielsen Berntsen Sandvik Rønning Arnesen "
    "Antonsen Næss Vik Haug Ellingsen Thorsen Edvardsen Birkeland Isaksen Gulbrandsen Ruud "
    "Aasen Strøm Myklebust Tangen Ødegård Eliassen Helland Bøe Jenssen Aune Mikkelsen Tveit"
)
CATEGORIES = [
    ("Ordinær", 50),
    ("Barn 6–12", 20),
    ("Ungdom 13–19", 15),
    ("Familie", 10),
    ("Pensjonist", 5),
]
STATUSES = [
    ("active", 80),
    ("cancelled", 8),
    ("pending", 5),
    ("sent_for_approval", 3),
    ("awaiting_verification", 2),
    ("rejected", 2),
]
GROUP_COUNT = 30


def _ascii(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "Ae", "Ø": "O", "Å": "A"})
    return re.sub(r"[^a-z0-9.]", "", text.translate(table).lower().replace(" ", "."))


def load_data(members: int) -> None:
    """One club with ``members`` members, through COPY (minutes → seconds)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from members.identity import clean_name, name_key
    from members.models import (
        Club,
        Group,
        GroupMember,
        Membership,
        MembershipCategory,
        Person,
    )

    rng = random.Random(20261125)  # noqa: S311 - test data
    today = timezone.localdate()
    started = time.monotonic()
    with transaction.atomic():
        club = Club.objects.create(slug=CLUB_SLUG, name="Benk IL")
        categories = [
            MembershipCategory.objects.create(club=club, name=name, sort_order=i)
            for i, (name, _weight) in enumerate(CATEGORIES)
        ]
        groups = [
            Group.objects.create(club=club, name=f"Parti {i + 1:02d}", sport="Fotball")
            for i in range(GROUP_COUNT)
        ]

        person_ids = reserve_ids(Person, members)
        persons = []
        for i, pk in enumerate(person_ids):
            first = clean_name(rng.choice(FIRST_NAMES))
            if rng.random() < 0.1:
                last = f"{rng.choice(LAST_NAMES)}-{rng.choice(LAST_NAMES)}"
            else:
                last = rng.choice(LAST_NAMES)
            last = clean_name(last)
            persons.append(
                Person(
                    id=pk,
                    public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    first_name=first,
                    last_name=last,
                    first_name_key=name_key(first),
                    last_name_key=name_key(last),
                    birth_date=today - dt.timedelta(days=rng.randint(4 * 365, 85 * 365)),
                    gender=rng.choice(("male", "female", "")),
                    email=f"{_ascii(first)}.{_ascii(last)}.{i}@{PERSON_EMAIL_DOMAIN}",
                    mobile=f"+47{rng.choice('49')}{rng.randint(0, 9_999_999):07d}",
                    address_line=f"{rng.choice(LAST_NAMES)}veien {rng.randint(1, 200)}",
                    postal_code=f"{rng.randint(1, 9999):04d}",
                    city="Oslo",
                )
            )
        copy_rows(Person, persons)

        membership_ids = reserve_ids(Membership, members)
        cat_weights = [w for _n, w in CATEGORIES]
        status_names = [s for s, _w in STATUSES]
        status_weights = [w for _s, w in STATUSES]
        memberships = []
        for i, (pk, person_id) in enumerate(zip(membership_ids, person_ids, strict=True)):
            status = rng.choices(status_names, status_weights)[0]
            since = today - dt.timedelta(days=rng.randint(0, 15 * 365))
            memberships.append(
                Membership(
                    id=pk,
                    club_id=club.pk,
                    person_id=person_id,
                    category_id=rng.choices(categories, cat_weights)[0].pk,
                    status=status,
                    member_number=str(i + 1),
                    source=Membership.Source.MIGRATED,
                    started_on=since,
                    ended_on=since + dt.timedelta(days=365) if status == "cancelled" else None,
                )
            )
        copy_rows(Membership, memberships)

        links = []
        for membership_id in membership_ids:
            draw = rng.random()
            count = 2 if draw < 0.1 else 1 if draw < 0.5 else 0
            for group in rng.sample(groups, count):
                links.append(
                    GroupMember(club_id=club.pk, group_id=group.pk, membership_id=membership_id)
                )
        for link, pk in zip(links, reserve_ids(GroupMember, len(links)), strict=True):
            link.id = pk
        copy_rows(GroupMember, links)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(
        f"Loaded {members:,} persons and memberships, {len(links):,} group links "
        f"in {time.monotonic() - started:.1f} s"
    )


def wipe_data() -> None:
    """Remove what an earlier, different or interrupted load left behind."""
    from django.db import connection, transaction

    from members.models import Club

    club = Club.objects.filter(slug=CLUB_SLUG).first()
    with transaction.atomic(), connection.cursor() as cursor:
        if club is not None:
            for table in (
                "members_groupmember",
                "members_clubrole",
                "members_membership",
                "members_group",
                "members_membershipcategory",
            ):
                cursor.execute(f"DELETE FROM {table} WHERE club_id = %s", [club.pk])  # noqa: S608
            cursor.execute("DELETE FROM members_club WHERE id = %s", [club.pk])
        cursor.execute(
            "DELETE FROM members_person WHERE email LIKE %s", [f"%@{PERSON_EMAIL_DOMAIN}"]
        )


def ensure_data(members: int, rebuild: bool):
    """The bench club, loaded once and reused while it holds ``members`` members."""
    from django_scopes import scopes_disabled

    from members.models import Club, Group, Membership, MembershipCategory

    with scopes_disabled():
        club = Club.objects.filter(slug=CLUB_SLUG).first()
        complete = (
            club is not None
            and not rebuild
            and Membership.objects.filter(club=club).count() == members
            and MembershipCategory.objects.filter(club=club).count() == len(CATEGORIES)
            and Group.objects.filter(club=club).count() == GROUP_COUNT
        )
        if complete:
            print(f"Reusing club {CLUB_SLUG!r} with {members:,} members")
        else:
            wipe_data()
            load_data(members)
            club = Club.objects.get(slug=CLUB_SLUG)
        category = MembershipCategory.objects.get(club=club, name=CATEGORIES[0][0])
    return club, category


def admin_session_cookie(club) -> str:
    """A logged-in session of a club admin, made in the database (no password round trip)."""
    from django.conf import settings
    from django.test import Client

    from members.services import get_or_create_user, grant_club_admin

    user = get_or_create_user(ADMIN_EMAIL)
    grant_club_admin(club, user)
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


# --- Server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "False",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "ims.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
    ]
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def get(port: int, path: str, cookie: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def wait_until_up(process: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            get(port, "/", "")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in time")


ROW_NAME = re.compile(r"<td>(?:<a [^>]*>)?([^<]+, [^<]+?)(?:</a>)?</td>")


def page_rows(html: str) -> list[str]:
    return ROW_NAME.findall(html)


# --- Load ------------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> Result:
    percentiles = {
        int(p): float(value) * _UNITS_MS[unit]
        for p, value, unit in re.findall(
            r"^\s*(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE
        )
    }
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if not (rps and total and 50 in percentiles and 99 in percentiles):
        raise RuntimeError(f"could not read wrk output:\n{output}")
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        # gunicorn's sync workers close every connection; "read" errors count those.
        errors += int(socket_errors.group(1)) + int(socket_errors.group(4))
    return Result(
        requests=int(total.group(1)),
        errors=errors,
        rps=float(rps.group(1)),
        p50_ms=percentiles[50],
        p99_ms=percentiles[99],
    )


def combine(runs: list[Result], seconds: float) -> Result:
    """Rounds of one page as one figure: req/s over all rounds, median p50 and p99."""
    return Result(
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
        rps=sum(r.requests for r in runs) / seconds,
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
    )


def run_wrk(url: str, cookie: str, seconds: int, threads: int, connections: int) -> Result:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-H",
        f"Cookie: {cookie}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return parse_wrk(done.stdout)


def run_python(url: str, cookie: str, seconds: int, threads: int, connections: int) -> Result:
    """Fallback load generator: ``connections`` threads, one request at a time each."""
    del threads
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        own, bad = [], 0
        while time.monotonic() < deadline:
            begun = time.perf_counter()
            conn = http.client.HTTPConnection(host, port, timeout=10)
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except OSError:
                bad += 1
            finally:
                conn.close()
            own.append((time.perf_counter() - begun) * 1000)
        with lock:
            latencies.extend(own)
            errors[0] += bad

    started = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return Result(len(latencies), errors[0], len(latencies) / elapsed, pct(50), pct(99))


# --- Main ------------------------------------------------------------------------------------


def server_cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of gunicorn's master and its workers, from /proc."""
    total = 0
    try:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry) == pid or int(fields[1]) == pid:
                total += int(fields[11]) + int(fields[12])
    except OSError:
        return None
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Sequential:
    wall_ms: float
    cpu_ms: float | None


def run_sequential(port: int, path: str, cookie: str, count: int, server_pid: int) -> Sequential:
    """``count`` requests one after the other: time per request and the server's CPU time
    per request, figures that other load on the machine disturbs far less than req/s."""
    cpu_before = server_cpu_seconds(server_pid)
    started = time.perf_counter()
    for _ in range(count):
        status, _body = get(port, path, cookie)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}, not 200")
    wall = time.perf_counter() - started
    cpu_after = server_cpu_seconds(server_pid)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Sequential(wall / count * 1000, None if cpu is None else cpu / count * 1000)


PAGES = ("overview", "bare ListView")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=12, help="measured seconds per page")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per page")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per page")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--connections",
        type=int,
        default=2,
        help="concurrent connections; default one per worker: it saturates the workers "
        "(the same req/s as 8) without measuring wrk's own queue as latency",
    )
    parser.add_argument("--sequential", type=int, default=100, help="one-at-a-time requests")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--rebuild", action="store_true", help="reload the data")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    club, category = ensure_data(args.members, args.rebuild)
    cookie = admin_session_cookie(club)
    page_size = settings.MEMBER_LIST_PAGE_SIZE

    load = run_wrk if shutil.which("wrk") else run_python
    generator = (
        f"wrk -t{args.threads} -c{args.connections} --latency"
        if load is run_wrk
        else f"python http.client, {args.connections} threads (wrk missing)"
    )
    scenarios = [
        (
            "filtered: status=active, category, page 2",
            f"?status=active&category={category.pk}&page=2",
        ),
        ("unfiltered: default sort, page 1", ""),
    ]
    seconds = max(1, args.duration // args.rounds)  # wrk takes whole seconds
    load_before = os.getloadavg()
    results: dict[tuple[str, str], Result] = {}
    sequential: dict[tuple[str, str], Sequential] = {}

    port = free_port()
    server = start_gunicorn(port, args.workers)
    try:
        wait_until_up(server, port)
        base = f"http://127.0.0.1:{port}"
        for title, query in scenarios:
            paths = dict(
                zip(
                    PAGES,
                    (
                        f"/club/{club.slug}/members/{query}",
                        f"/bench/bare/{club.slug}/members/{query}",
                    ),
                    strict=True,
                )
            )
            rows = {}
            for name, path in paths.items():
                status, body = get(port, path, cookie)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}, not 200")
                rows[name] = page_rows(body)
            if rows["overview"] != rows["bare ListView"] or len(rows["overview"]) != page_size:
                raise RuntimeError(f"{title}: the pages do not show the same {page_size} rows")
            for path in paths.values():
                load(base + path, cookie, args.warmup, args.threads, args.connections)
            for name, path in paths.items():
                sequential[(title, name)] = run_sequential(
                    port, path, cookie, args.sequential, server.pid
                )
            # Rounds alternate between the two pages, so that other work on the machine
            # weighs on both alike.
            rounds: dict[str, list[Result]] = {name: [] for name in paths}
            for _round in range(args.rounds):
                for name, path in paths.items():
                    result = load(base + path, cookie, seconds, args.threads, args.connections)
                    if result.errors:
                        raise RuntimeError(f"{name} ({title}): {result.errors} failed requests")
                    rounds[name].append(result)
            for name, runs in rounds.items():
                results[(title, name)] = combine(runs, seconds * args.rounds)
    finally:
        stop_gunicorn(server)

    load_after = os.getloadavg()
    print()
    print(f"Member overview vs bare ListView, {args.members:,} members, club {club.slug!r}")
    print(f"gunicorn {args.workers} sync workers, DEBUG=False; load: {generator}")
    print(
        f"each page: {args.warmup} s warm-up; {args.sequential} requests one at a time; then "
        f"{args.rounds} alternating rounds of {seconds} s (p50/p99: median over the rounds)"
    )
    print(
        "load average before/after: "
        f"{' '.join(f'{x:.2f}' for x in load_before)} / "
        f"{' '.join(f'{x:.2f}' for x in load_after)}"
    )
    goals_met = True
    for index, (title, query) in enumerate(scenarios):
        print()
        print(f"{title}  ({query or 'no query'})")
        print(
            f"  {'':<15}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}"
            f"{'1-at-a-time ms':>16}{'server CPU ms':>15}"
        )
        for name in PAGES:
            r, q = results[(title, name)], sequential[(title, name)]
            cpu = "n/a" if q.cpu_ms is None else f"{q.cpu_ms:.1f}"
            print(
                f"  {name:<15}{r.rps:>8.1f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}{r.requests:>10}"
                f"{q.wall_ms:>16.1f}{cpu:>15}"
            )
        overview, bare = results[(title, "overview")], results[(title, "bare ListView")]
        ratio = overview.rps / bare.rps
        one_at_a_time = sequential[(title, "bare ListView")].wall_ms / (
            sequential[(title, "overview")].wall_ms
        )
        print(f"  ratio overview/bare: {ratio:.2f} in req/s, {one_at_a_time:.2f} one at a time")
        if index == 0:
            ratio_ok = ratio >= GOAL_RATIO
            p99_ok = overview.p99_ms <= GOAL_P99_MS
            goals_met = ratio_ok and p99_ok
            print(f"  goal ratio ≥ {GOAL_RATIO} (req/s): {'met' if ratio_ok else 'NOT met'}")
            print(f"  goal overview p99 ≤ {GOAL_P99_MS:.0f} ms: {'met' if p99_ok else 'NOT met'}")
    print()
    print("Goals (filtered overview):", "met" if goals_met else "NOT met")
    return 1 if args.check and not goals_met else 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
