"""The run's writes, in order, on the run's connection: sent from a thread of their own
when the run is pipelined, so that the run's thread prepares the next rows while
PostgreSQL works through the last ones.

A chunk is written in two steps (``Importer.write_members``): its writes are planned —
what exists already comes from ``migration.pipeline.stored``, not from the run's
connection, so nothing waits for the chunk before — and handed to ``submit``, which keeps
them; ``release`` then sends them off, in order, and the run's thread goes on with what
needs no database (the import rows' values). ``catch_up`` keeps the run's thread at most
one chunk ahead of the writing thread; ``drain`` waits until every write is done. Both
raise the first error. A writer that is not threaded (SQLite, a test's transaction) runs
each write when it is submitted, as the run did before it had a writer; the pipeline's
tests check that both end in the same rows.
"""

import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

from django.db import connections

from migration.pipeline import tables


class Writer:
    def __init__(self, *, threaded: bool = False):
        self.held: list[tuple] = []
        self.laters: list[Later] = []  # rows to make ready at the next ``release``
        self.collected: list[tuple] = []  # (model, row), inserted together at ``release``
        self.pending: list[Future] = []
        self.behind = 0  # of ``pending``, those sent before the last ``catch_up``
        self.failed = False
        self.pool = None
        if threaded:
            # The run's connection, in the run's transaction, lent to the writing thread
            # (Django keeps a connection per thread); one thread at a time uses it.
            self.connection = connections["default"]
            self.connection.inc_thread_sharing()
            self.pool = ThreadPoolExecutor(1, "import-write")

    def submit(self, write, *args, **kwargs) -> None:
        """Keep ``write(*args, **kwargs)`` to run after the writes submitted before it, in
        the submitting thread's context (its scope, language and time zone). A writer
        that is not threaded runs it at once: ids are then also free to come from the
        table itself (SQLite: the highest id so far), not only from a sequence."""
        if self.pool is None:
            write(*args, **kwargs)
            return
        self.held.append((contextvars.copy_context(), write, args, kwargs))

    def insert(
        self,
        model,
        rows: list[dict],
        ids: list[int] | None = None,
        history: tables.History | None = None,
        fixed: dict | None = None,
    ) -> list[int]:
        """Insert ``rows`` of ``model`` (``tables``; ``fixed``: values of every row) and
        their ``history`` as a write, with the ``ids`` reserved for them (here, now, when
        not given); returns the ids.
        The rows are made ready (COPY text) in this thread just after ``release``, while
        the writing thread writes what came before them; it only sends them."""
        if not rows:
            return []
        if ids is None:
            ids = tables.reserve_ids(model, len(rows))
        if self.pool is None:
            tables.TableWriter(model).insert(rows, ids, history, fixed)
            return ids
        later = Later(partial(tables.TableWriter(model).prepare, rows, ids, history, fixed))
        self.laters.append(later)
        self.held.append((contextvars.copy_context(), later.write, (), {}))
        return ids

    def collect(self, model, row: dict) -> None:
        """Insert this row of ``model`` with the others collected before the next
        ``release``, together (the import's ``ImportCreated`` records)."""
        self.collected.append((model, row))

    def release(self) -> None:
        """Send the kept writes off."""
        if self.collected:
            collected, self.collected = self.collected, []
            for model in dict.fromkeys(model for model, _row in collected):
                self.insert(model, [row for m, row in collected if m is model])
        held, self.held = self.held, []
        for context, write, args, kwargs in held:
            self.pending.append(self.pool.submit(self._run, context, write, args, kwargs))
        laters, self.laters = self.laters, []
        try:
            for later in laters:
                later.make()
        finally:  # the writing thread waits for each: never leave one unmade
            for later in laters:
                later.abandon()

    def _run(self, context, write, args, kwargs) -> None:
        if self.failed:  # the transaction is lost: the rest would only fail again
            return
        connections["default"] = self.connection
        try:
            context.run(write, *args, **kwargs)
        except BaseException:
            self.failed = True
            raise

    def drain(self) -> None:
        """Send off what is kept and wait until every write is done; raises the first
        error."""
        self.release()
        pending, self.pending, self.behind = self.pending, [], 0
        _raise_first(pending)

    def catch_up(self) -> None:
        """Wait until the writes sent before the last ``catch_up`` are done (raises the
        first error), not for those sent since: the run's thread plans a chunk while the
        writing thread sends the one before it, and is never further ahead than that."""
        behind, self.pending = self.pending[: self.behind], self.pending[self.behind :]
        self.behind = len(self.pending)
        _raise_first(behind)

    def close(self) -> None:
        """Wait for what was sent (its errors are ``drain``'s), then give the connection
        back to the run's thread alone; later writes run at once."""
        self.held, self.collected, self.laters = [], [], []
        if self.pool is None:
            return
        for future in self.pending:
            future.exception()
        self.pending, self.behind = [], 0
        self.pool.submit(connections.__delitem__, "default").result()
        self.pool.shutdown()
        self.pool = None
        self.connection.dec_thread_sharing()


def _raise_first(futures: list[Future]) -> None:
    errors = [exc for exc in (f.exception() for f in futures) if exc is not None]
    if errors:
        raise errors[0]


class Later:
    """Rows of one table made ready by the run's thread after ``Writer.release`` and
    written in their turn by the writing thread, which waits for them if it gets there
    first."""

    def __init__(self, make):
        self.make_rows = make
        self.done = threading.Event()
        self.prepared: tables.Prepared | None = None
        self.error: BaseException | None = None

    def make(self) -> None:
        try:
            self.prepared = self.make_rows()
        except BaseException as exc:  # raised in the writing thread, then by ``drain``
            self.error = exc
        finally:
            self.done.set()

    def abandon(self) -> None:
        if not self.done.is_set():
            self.error = RuntimeError("rows to write were never made ready")
            self.done.set()

    def write(self) -> None:
        self.done.wait()
        if self.error is not None:
            raise self.error
        self.prepared.write()
