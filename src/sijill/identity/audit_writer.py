"""Group commit of audit entries: the entries of many requests written in one transaction.

A request hands its record over and waits until the batch holding it is committed, so no
answer leaves before its entry is durable and none is ever lost; while one batch is being
written the next one gathers, so the audit costs one transaction per batch, not per call.

The writer is a task of the server's event loop. On SQLite it writes each batch in the loop
itself: a batch takes well under a millisecond, while handing it to a thread and back costs
several, the two threads taking turns at the GIL. It never blocks the loop waiting for a
lock: the file lock that queues the workers' writers and SQLite's own write lock are tried
without waiting, and retried after a short sleep, until AUDIT_PATIENCE runs out and the
calls waiting are refused (503). On PostgreSQL the batch is written by `run` (a thread),
since its round trips wait on the network.
"""

import asyncio
import fcntl
import logging
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, event

from sijill.db.engine import sqlite_path
from sijill.identity.audit import AuditRecord, append_entries, append_with_cursor
from sijill.identity.errors import AuditUnavailable

logger = logging.getLogger(__name__)

MAX_BATCH = 2000
CHECKPOINT_SECONDS = 1.0
AUDIT_PATIENCE = 3.0
RETRY_SECONDS = 0.0003
MAX_RETRY_SECONDS = 0.004
Runner = Callable[[Callable[[], list[int]]], Awaitable[list[int]]]


async def _inline(work: Callable[[], list[int]]) -> list[int]:
    return work()


class AuditWriter:
    """One writer task per process appending batches of entries to the chain."""

    def __init__(self, engine: Engine, *, run: Runner | None = None, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self._run = run or _inline
        self._max_batch = max_batch
        self._pending: list[tuple[AuditRecord, asyncio.Future[int]]] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._checkpointer: _Checkpointer | None = None
        self._lock_file: TextIO | None = None
        self._raw: Any = None
        self.batches = 0
        self.entries = 0
        if sqlite_path(engine) is not None:
            event.listen(engine, "connect", _no_autocheckpoint)

    def start(self) -> None:
        """Start the writer task on the running event loop (and the checkpointer, on SQLite)."""
        if self._task is None:
            self._stopping = False
            self._wakeup = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="sijill-audit")
            if sqlite_path(self.engine) is not None:
                self._checkpointer = _Checkpointer(self.engine)

    async def stop(self) -> None:
        """Write what is pending, then stop the task."""
        self._stopping = True
        if self._task is not None and self._wakeup is not None:
            self._wakeup.set()
            await self._task
        self._task = None
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    async def write(self, record: AuditRecord) -> int:
        """Queue a record and wait until it is committed; return its sequence number."""
        if self._task is None or self._wakeup is None or self._stopping:
            raise AuditUnavailable("the audit writer is not running")
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending.append((record, done))
        self._wakeup.set()
        return await done

    async def write_many(self, records: list[AuditRecord]) -> list[int]:
        """Queue records (in one batch) and wait until they are committed."""
        if len(records) == 1:
            return [await self.write(records[0])]
        return list(await asyncio.gather(*(self.write(r) for r in records)))

    async def _loop(self) -> None:
        assert self._wakeup is not None
        while True:
            if not self._pending:
                if self._stopping:
                    return
                await self._wakeup.wait()
                self._wakeup.clear()
                continue
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            await self._commit(batch)

    async def _commit(self, batch: list[tuple[AuditRecord, "asyncio.Future[int]"]]) -> None:
        records = [r for r, _ in batch]
        try:
            if sqlite_path(self.engine) is None:
                seqs = await self._run(lambda: self._append(records))
            else:
                seqs = await self._append_in_loop(records)
        except Exception as exc:  # the driver's errors differ by backend; every waiter hears of it
            logger.error("audit batch of %d entries not written: %s", len(batch), type(exc).__name__)
            lost = AuditUnavailable(f"the audit log cannot be written ({type(exc).__name__})")
            for _, done in batch:
                _settle(done, lost)
            return
        self.batches += 1
        self.entries += len(batch)
        for (_, done), seq in zip(batch, seqs, strict=True):
            _settle(done, seq)

    def _append(self, records: list[AuditRecord]) -> list[int]:
        with self.engine.begin() as connection:
            return append_entries(session=connection, records=records)

    def _append_sqlite(self, records: list[AuditRecord]) -> list[int]:
        """Append in one transaction on the writer's own connection (raw: a batch is on every call)."""
        if self._raw is None:
            self._raw = self.engine.raw_connection()
        cursor = self._raw.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                seqs = append_with_cursor(cursor, "sqlite", records)
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            return seqs
        finally:
            cursor.close()

    async def _append_in_loop(self, records: list[AuditRecord]) -> list[int]:
        """Append on SQLite without ever waiting for a lock inside the loop."""
        if self._lock_file is None:
            self._lock_file = Path(f"{sqlite_path(self.engine)}.audit-lock").open("a")  # noqa: SIM115
        lock = self._lock_file
        deadline = time.monotonic() + AUDIT_PATIENCE
        pause = RETRY_SECONDS
        while True:
            if _try_lock(lock):
                try:
                    return self._append_sqlite(records)
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
            elif time.monotonic() > deadline:
                raise AuditUnavailable("the audit lock was not free in time")
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_RETRY_SECONDS)  # a held lock is usually a writer descheduled


def _settle(done: "asyncio.Future[Any]", outcome: int | BaseException) -> None:
    if done.done():
        return
    if isinstance(outcome, BaseException):
        done.set_exception(outcome)
    else:
        done.set_result(outcome)


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    """Leave checkpoints to the checkpointer, and never wait for SQLite's write lock.

    A commit must never wait for an fsync, and a busy database must be retried from the
    loop (see `_append_in_loop`), not waited for inside it.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


class _Checkpointer:
    """Copy the write-ahead log into the SQLite file every second, off the commit path.

    SQLite checkpoints from inside the commit that fills the log past 1,000 pages, with
    two fsyncs; the batch committing then waits tens of milliseconds and every request in
    it with it. Here a thread checkpoints (PASSIVE: never blocking readers or writers).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sijill-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        connection = self._engine.raw_connection()
        try:
            while not self._stopping.wait(CHECKPOINT_SECONDS):
                cursor = connection.cursor()
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                cursor.close()
        finally:
            connection.close()

    def stop(self) -> None:
        """Stop after the checkpoint under way."""
        self._stopping.set()
        self._thread.join()


def _try_lock(lock: TextIO) -> bool:
    """Take the workers' audit lock if it is free (the lock queues the processes of a server)."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
