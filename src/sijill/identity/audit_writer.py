"""Group commit of audit entries: many requests' entries written in one transaction.

A request hands its record over and waits until the batch holding it is committed, so no
answer leaves before its entry is durable and none is ever lost; while one batch is being
written the next one gathers, so the audit costs one transaction per batch, not per call.
"""

import asyncio
import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from sijill.db.engine import session_scope
from sijill.identity.audit import AuditRecord, append_entries
from sijill.identity.errors import AuditUnavailable

logger = logging.getLogger(__name__)

Settle = Callable[[int | BaseException], None]
MAX_BATCH = 2000


class AuditWriter:
    """One writer thread per process appending batches of entries to the chain."""

    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._pending: list[tuple[AuditRecord, Settle]] = []
        self._ready = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.entries = 0

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="sijill-audit", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write what is pending, then stop the thread."""
        with self._ready:
            self._stopping = True
            self._ready.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def submit(self, record: AuditRecord, settle: Settle) -> None:
        """Queue a record; `settle` is called with its sequence number, or the error that lost it."""
        with self._ready:
            if self._stopping or self._thread is None:
                settle(AuditUnavailable("the audit writer is not running"))
                return
            self._pending.append((record, settle))
            self._ready.notify()

    async def write(self, record: AuditRecord) -> int:
        """Queue a record and wait until it is committed; return its sequence number."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()

        def settle(outcome: int | BaseException) -> None:
            loop.call_soon_threadsafe(_resolve, done, outcome)

        self.submit(record, settle)
        return await done

    def _take(self) -> list[tuple[AuditRecord, Settle]] | None:
        with self._ready:
            while not self._pending and not self._stopping:
                self._ready.wait()
            if not self._pending:
                return None
            batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
            return batch

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            self._commit(batch)

    def _commit(self, batch: list[tuple[AuditRecord, Settle]]) -> None:
        try:
            with session_scope(self._engine) as session:
                seqs = append_entries(session=session, records=[r for r, _ in batch])
        except Exception as exc:  # the driver's errors differ by backend; each waiter gets one
            logger.error("audit batch of %d entries not written: %s", len(batch), type(exc).__name__)
            lost = AuditUnavailable(f"the audit log cannot be written ({type(exc).__name__})")
            for _, settle in batch:
                settle(lost)
            return
        self.batches += 1
        self.entries += len(batch)
        for (_, settle), seq in zip(batch, seqs, strict=True):
            settle(seq)


def _resolve(done: "asyncio.Future[int]", outcome: int | BaseException) -> None:
    if done.done():
        return
    if isinstance(outcome, BaseException):
        done.set_exception(outcome)
    else:
        done.set_result(outcome)
