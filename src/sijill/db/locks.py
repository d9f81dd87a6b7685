"""One writer at a time: the register-wide writer lock.

A build, a life event, a merge and every other writer change persons, links and UINs that
the others read to decide; two at once would each decide on a state the other is changing
(two accepted versions of one record, one UIN issued twice). So every writer holds one lock
for its whole transaction: a transaction-level advisory lock on PostgreSQL, the database's
own write lock on SQLite (`BEGIN IMMEDIATE`). A second writer waits a bounded time, then is
refused with a message; readers never wait (MVCC on PostgreSQL, WAL on SQLite).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from sijill.db.engine import session_scope
from sijill.errors import RegisterBusy

# An arbitrary 64-bit key, the same in every process: "sijill" in ASCII.
REGISTER_LOCK_KEY = 0x73696A696C6C
POLL_SECONDS = 0.05
IMMEDIATE = "sijill_immediate"


def _busy(waited: float) -> RegisterBusy:
    return RegisterBusy(
        f"another writer (a build, an event or a migration) holds the register; waited {waited:.0f} s. "
        "Try again when it has finished, or wait longer with SIJILL_LOCK_WAIT_SECONDS"
    )


def acquire_writer_lock(connection: Connection, *, wait_seconds: float) -> None:
    """Take the writer lock for the connection's current transaction, or raise RegisterBusy.

    On SQLite the lock is taken when the transaction begins (see `writer_engine`); here it
    only checks that it was.
    """
    if connection.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + wait_seconds
    start = time.monotonic()
    sql = text("SELECT pg_try_advisory_xact_lock(:key)")
    while not connection.scalar(sql, {"key": REGISTER_LOCK_KEY}):
        if time.monotonic() >= deadline:
            raise _busy(time.monotonic() - start)
        time.sleep(POLL_SECONDS)


def writer_engine(engine: Engine, *, wait_seconds: float) -> Engine:
    """Return the engine whose transactions begin holding the writer lock on SQLite."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{IMMEDIATE: max(0.0, wait_seconds)})


def begin_sqlite(connection: Connection) -> None:
    """Begin a SQLite transaction: IMMEDIATE (the write lock, bounded wait) for writers."""
    wait = connection.get_execution_options().get(IMMEDIATE)
    if wait is None:
        connection.exec_driver_sql("BEGIN")
        return
    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait * 1000)}")
    start = time.monotonic()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as exc:
        if "locked" in str(exc.orig) or "busy" in str(exc.orig):
            raise _busy(time.monotonic() - start) from None
        raise


@contextmanager
def writer_session(engine: Engine, *, wait_seconds: float | None = None) -> Iterator[Session]:
    """Yield a session holding the register-wide writer lock; it commits whole or rolls back."""
    from sijill.settings import get_settings

    wait = get_settings().lock_wait_seconds if wait_seconds is None else wait_seconds
    with session_scope(writer_engine(engine, wait_seconds=wait)) as session:
        acquire_writer_lock(session.connection(), wait_seconds=wait)
        yield session
