"""Running service calls at the same moment in real threads, each with its own database
connection (PostgreSQL row locks and advisory locks are what these tests exercise)."""

import threading

from django.db import connection


def run_at_once(*calls, timeout: float = 60):
    """Start every call in its own thread at the same moment; return what each returned or
    raised, in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 (reported to the test)
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results
