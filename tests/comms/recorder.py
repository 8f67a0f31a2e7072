"""An SMS backend for the worker crash test: it records each send as a row in a test
table, in the sending transaction (so a crash before commit leaves no record, exactly as
it leaves the message queued). ``SMS_RECORDER_DELAY`` (seconds) slows each send down so
the test can kill the worker half-way."""

import os
import time

from django.db import connection

from comms.sms.base import SmsBackend

TABLE = "comms_test_sends"


def create_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("  # noqa: S608
            "id bigserial PRIMARY KEY, message_id bigint NOT NULL, pid integer NOT NULL,"
            " sent_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(f"TRUNCATE {TABLE}")  # noqa: S608


def drop_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")  # noqa: S608


def sends_per_message() -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT message_id, count(*) FROM {TABLE} GROUP BY message_id")  # noqa: S608
        return dict(cursor.fetchall())


def total_sends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
        return cursor.fetchone()[0]


class RecordingSmsBackend(SmsBackend):
    def send(self, sender, to, text, *, reference=""):
        delay = float(os.environ.get("SMS_RECORDER_DELAY", "0"))
        if delay:
            time.sleep(delay)
        message_id = int(reference.removeprefix("outbox-"))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (message_id, pid) VALUES (%s, %s)",  # noqa: S608
                [message_id, os.getpid()],
            )
        return f"rec-{message_id}"
