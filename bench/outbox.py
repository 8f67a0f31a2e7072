"""Benchmark: a 10,000-message newsletter to a member-overview filter result, queued and sent.

    .venv/bin/python bench/outbox.py          (or: make bench)

1. Uses the member-list bench's database and club (``ims_bench``, 100,000 members loaded
   by COPY when missing; ``DATABASE_URL`` overrides it) and removes the outbox rows of
   earlier runs.
2. Enqueue, timed as the composer's request would spend it: the overview's filter
   (status active, first category — ``members.filters.MemberFilter`` over what a club
   admin may see) gives the recipients, the first 10,000 of them by name; then
   ``comms.services.queue_bulk_email`` writes the batch and its 10,000 rows in one
   transaction (set-based: one COPY) and, after commit, queues one task that will queue
   the sends. Goal: ≤ 5 s.
3. Drain: the messages go through Django's file e-mail backend (in a temporary folder)
   in N processes (default: the machine's CPUs), each calling
   ``comms.services.send_message`` as the Celery task does (row lock, MIME message, file,
   status and batch counter, one commit per message). With ``--celery`` a real Celery
   worker (prefork, N processes, on a queue of its own) drains them from Redis instead.
4. Prints the enqueue time, messages/s of the drain, and checks that every message was
   written once and the batch says 10,000 sent. docs/benchmarks.md records the figures.
"""

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import member_list  # noqa: E402 (sets DATABASE_URL and the bench settings)

GOAL_ENQUEUE_S = 5.0


def recipients_from_filter(club, category, count: int):
    """The overview's filter result, as a club admin sees it, as bulk-send recipients."""
    from django_scopes import scope

    from comms.services import Recipient
    from members.filters import MemberFilter
    from members.permissions import club_access, visible_memberships
    from members.services import get_or_create_user, grant_club_admin

    user = get_or_create_user(member_list.ADMIN_EMAIL)
    grant_club_admin(club, user)
    access = club_access(user, club)
    with scope(club=club):
        result = MemberFilter(
            {"status": "active", "category": str(category.pk), "sort": "name"},
            queryset=visible_memberships(access),
            access=access,
        ).qs
        rows = list(result.values_list("person_id", "person__email", "person__first_name")[:count])
    return user, [Recipient(pid, email, fields={"fornavn": first}) for pid, email, first in rows]


def clear_outbox(club) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM comms_outboundmessage WHERE club_id = %s", [club.pk])
        cursor.execute("DELETE FROM comms_sendbatch WHERE club_id = %s", [club.pk])


def _drain_slice(args) -> int:
    ids, email_dir = args
    from django.conf import settings
    from django.db import connection

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = email_dir
    connection.close()  # a connection of its own, not the parent's
    from comms import services

    for pk in ids:
        services.send_message(pk)
    connection.close()
    return len(ids)


def drain_in_processes(ids: list[int], processes: int, email_dir: str) -> None:
    from django.db import connection

    connection.close()
    slices = [(ids[i::processes], email_dir) for i in range(processes)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_drain_slice, slices)


def drain_with_celery(batch_id: int, processes: int, email_dir: str) -> None:
    """A real worker on a queue of its own; the batch's dispatch task is queued to it."""
    from django.conf import settings
    from django.db import connection
    from django_scopes import scopes_disabled

    from comms import tasks
    from comms.models import OutboundMessage
    from ims.celery import app

    if not settings.REDIS_URL:
        sys.exit("bench: --celery needs REDIS_URL")
    queue = f"bench-outbox-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    settings.COMMS_QUEUE = queue
    env = {
        **os.environ,
        "COMMS_QUEUE": queue,
        "EMAIL_URL": f"filemail:///{email_dir}",
        "CONN_MAX_AGE": "60",
        "CELERY_DB_REUSE_MAX": "100",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "ims", "worker", "-Q", queue]
        + ["--pool", "prefork", "--concurrency", str(processes), "--loglevel", "WARNING"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # let the worker start; its start-up is not the drain
        started = time.perf_counter()
        tasks.dispatch_batch.apply_async((batch_id,), queue=queue)
        while True:
            with scopes_disabled():
                left = OutboundMessage.objects.filter(batch_id=batch_id, status="queued").count()
            if not left:
                break
            if worker.poll() is not None:
                sys.exit("bench: the worker died")
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        connection.close()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--celery", action="store_true", help="drain with a real Celery worker")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args()

    member_list.ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django_scopes import scopes_disabled

    from comms import services
    from comms.models import OutboundMessage, SendBatch
    from ims.celery import app

    call_command("migrate", interactive=False, verbosity=0)
    club, category = member_list.ensure_data(args.members, rebuild=False)
    clear_outbox(club)
    # The enqueue ends when the dispatch task is handed over; the drain below runs it.
    app.conf.task_always_eager = False
    dispatched = []
    services._dispatch_later = dispatched.append  # the drain starts the sends itself

    started = time.perf_counter()
    user, recipients = recipients_from_filter(club, category, args.messages)
    picked = time.perf_counter()
    with transaction.atomic():
        batch = services.queue_bulk_email(
            club=club,
            recipients=recipients,
            subject="Nytt fra {klubb}",
            body_text=(
                "Hei {fornavn}!\n\nHøstsesongen starter mandag. Treningstider og "
                "påmelding: https://ims.example.no/terminliste\n\nHilsen styret"
            ),
            key=f"bench-{uuid.uuid4().hex}",
            created_by=user,
        )
    enqueue_s = time.perf_counter() - started
    if batch.total != len(recipients) or dispatched != [batch.pk]:
        sys.exit(f"bench: {batch.total} rows for {len(recipients)} recipients")
    print(
        f"Enqueue: {batch.total:,} newsletter e-mails to a filter result in {enqueue_s:.2f} s "
        f"(filter {picked - started:.2f} s, queue_bulk_email + commit "
        f"{enqueue_s - (picked - started):.2f} s), {batch.skipped} opted out"
    )

    with scopes_disabled():
        ids = list(
            OutboundMessage.objects.filter(batch=batch).order_by("pk").values_list("pk", flat=True)
        )
    with tempfile.TemporaryDirectory(prefix="ims-bench-mail-") as email_dir:
        if args.celery:
            drain_s = drain_with_celery(batch.pk, args.processes, email_dir)
            how = f"a Celery worker, prefork x{args.processes}, Redis"
        else:
            t0 = time.perf_counter()
            drain_in_processes(ids, args.processes, email_dir)
            drain_s = time.perf_counter() - t0
            how = f"{args.processes} processes calling send_message"
        # Django's file backend appends to one file per connection and second: count the
        # messages, not the files.
        files = sum(p.read_bytes().count(b"\nMessage-ID: ") for p in Path(email_dir).iterdir())
    with scopes_disabled():
        batch = SendBatch.objects.get(pk=batch.pk)
    print(
        f"Drain: {batch.done:,} sent through the file e-mail backend in {drain_s:.2f} s = "
        f"{batch.done / drain_s:,.0f} messages/s ({how}; {files:,} messages written)"
    )
    ok_enqueue = enqueue_s <= GOAL_ENQUEUE_S
    ok_drain = batch.done == batch.total == files and batch.status == "finished"
    print(f"Goal enqueue ≤ {GOAL_ENQUEUE_S:.0f} s: {'met' if ok_enqueue else 'MISSED'}")
    print(f"Every message written once, batch finished: {'yes' if ok_drain else 'NO'}")
    print(f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    return 0 if (ok_drain and (ok_enqueue or not args.check)) else 1


if __name__ == "__main__":
    sys.exit(main())
