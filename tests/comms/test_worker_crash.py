"""Issue 5 acceptance: kill the worker (SIGKILL) half-way through a 2,000-message bulk send,
start it again and run the sweep: every message is sent exactly once (R-COM-4).

A real Celery worker (prefork, 4 processes) runs in its own process group against Redis and
this test's PostgreSQL database, on a queue of its own so that no other test's worker takes
its tasks. Sends are recorded by ``tests.comms.recorder`` in the sending transaction; what
that cannot show (a gateway that accepted an SMS just before the crash) is the window
docs/architecture.md describes.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from comms import services
from comms.models import OutboundMessage, SendBatch
from comms.services import Recipient
from ims.celery import app
from members.models import Person
from tests.comms import recorder
from tests.comms.conftest import forget_result_backend

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 2000
KILL_AFTER = 400


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "COMMS_QUEUE": queue,
        "SMS_BACKEND": "tests.comms.recorder.RecordingSmsBackend",
        "SMS_RECORDER_DELAY": "0.002",
        "CONN_MAX_AGE": "60",
        "CELERY_DB_REUSE_MAX": "100",
        "DJANGO_SETTINGS_MODULE": "ims.settings",
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "ims", "worker", "-Q", queue]
        + ["--pool", "prefork", "--concurrency", "4", "--loglevel", "WARNING", "--without-gossip"]
        + ["--without-mingle", "--without-heartbeat", "-n", f"{queue}@%h"],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: SIGKILL reaches the pool too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill(worker: subprocess.Popen, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(worker.pid, sig)
    except ProcessLookupError:
        return
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(5)


def wait_for(condition, timeout: float, what: str, worker=None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker died: {worker.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def queued() -> int:
    with scopes_disabled():
        return OutboundMessage.objects.filter(status="queued").count()


def broker_queue_length(queue: str) -> int:
    with app.connection_for_write() as conn:
        return conn.default_channel.client.llen(queue)


def settled():
    """A condition that holds once the number of queued messages has not moved for a
    second (the last sends of the drained queue are done)."""
    state = {"last": None, "since": 0.0}

    def check() -> bool:
        now, count = time.monotonic(), queued()
        if count != state["last"]:
            state["last"], state["since"] = count, now
            return False
        return now - state["since"] >= 1.0

    return check


def clean_broker(queue: str) -> None:
    """Leave nothing behind in the shared Redis: the queue and the killed worker's
    unacknowledged deliveries of it."""
    import json

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        channel.queue_purge(queue)
        client = channel.client
        for tag, payload in client.hgetall("unacked").items():
            try:
                routing_key = json.loads(payload)[2]
            except (ValueError, IndexError, TypeError):
                continue
            if routing_key == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)


@pytest.fixture
def worker_queue(demo_clubs_tx, settings):
    if not settings.REDIS_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run with REDIS_URL set (see .ci/run)")
        pytest.skip("REDIS_URL is not set: no broker for a real worker")
    if connection.vendor != "postgresql":
        pytest.skip("the crash test needs PostgreSQL")
    queue = f"comms-crash-{uuid.uuid4().hex[:8]}"
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    settings.COMMS_QUEUE = queue
    recorder.create_table()
    workers: list[subprocess.Popen] = []
    try:
        yield queue, workers
    finally:
        for w in workers:
            kill(w, signal.SIGTERM)
        app.conf.task_always_eager = eager
        forget_result_backend()
        clean_broker(queue)
        recorder.drop_table()


def test_killed_worker_sends_every_message_exactly_once(worker_queue, demo_clubs_tx):
    queue, workers = worker_queue
    club = demo_clubs_tx["a"]
    persons = Person.objects.bulk_create(
        Person(first_name=f"Mottaker{i}", last_name="Test").normalise() for i in range(MESSAGES)
    )
    recipients = [Recipient(p.pk, f"+47{40000000 + i}") for i, p in enumerate(persons)]

    workers.append(start_worker(queue))
    batch = services.queue_bulk_sms(
        club=club,
        recipients=recipients,
        text="Hei {fornavn}! Husk dugnad lørdag.",
        key=f"crash-{queue}",
        kind="transactional",
    )
    assert batch.total == MESSAGES

    # Half-way: SIGKILL the worker and its pool, with sends in flight.
    wait_for(lambda: recorder.total_sends() >= KILL_AFTER, 120, "the first sends", workers[0])
    kill(workers[0])
    sent_before = recorder.total_sends()
    assert sent_before < MESSAGES, "the worker finished before it could be killed"
    assert queued() > 0

    # Restart: the new worker sends what is still in the queue. What the dead worker had
    # taken (unacknowledged, rolled back to "queued") only the sweep brings back.
    workers.append(start_worker(queue))
    wait_for(lambda: broker_queue_length(queue) == 0, 180, "the queue to drain", workers[1])
    wait_for(settled(), 60, "the last sends to finish", workers[1])
    stuck = queued()
    assert stuck > 0, "the killed worker had messages in hand"
    assert services.sweep_stuck(older_than=timedelta(0)) == stuck
    wait_for(lambda: queued() == 0, 60, "all messages to be sent", workers[1])

    counts = recorder.sends_per_message()
    with scopes_disabled():
        ids = set(OutboundMessage.objects.filter(batch=batch).values_list("pk", flat=True))
        statuses = set(OutboundMessage.objects.filter(batch=batch).values_list("status", flat=True))
        batch = SendBatch.objects.get(pk=batch.pk)
    assert set(counts) == ids, "every message was sent"
    duplicates = {pk: n for pk, n in counts.items() if n != 1}
    assert duplicates == {}, "no message was sent twice"
    assert statuses == {"sent"}
    assert (batch.done, batch.failed, batch.status) == (MESSAGES, 0, "finished")
