"""What one server process holds: the engine, the audit writer, caches of grants and keys, limits."""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from sijill.api.settings import ApiSettings
from sijill.identity import AgencyGrant, AuditWriter, Notifier
from sijill.identity.raw import RawConnection
from sijill.names import SpellingDictionary

_MAX_CACHED = 10_000
T = TypeVar("T")


class GrantCache:
    """Grants of recently seen credentials, kept a few seconds so that a revocation soon bites."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._held: dict[str, tuple[float, AgencyGrant]] = {}

    def get(self, key: str) -> AgencyGrant | None:
        """Return the grant cached under this key while it is fresh."""
        held = self._held.get(key)
        if held is None or time.monotonic() - held[0] > self._ttl:
            return None
        return held[1]

    def put(self, key: str, grant: AgencyGrant) -> None:
        """Cache a grant (the whole cache is dropped when it grows too large)."""
        if len(self._held) >= _MAX_CACHED:
            self._held.clear()
        self._held[key] = (time.monotonic(), grant)


class RateLimiter:
    """A token bucket per agency: `rate` calls per second across the server's worker processes."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._buckets: dict[int, tuple[float, float]] = {}

    def allow(self, agency_id: int, rate: int) -> bool:
        """Take one call from the agency's bucket; False when it is empty."""
        per_process = max(rate / self._workers, 1.0)
        now = time.monotonic()
        tokens, last = self._buckets.get(agency_id, (per_process, now))
        tokens = min(per_process, tokens + (now - last) * per_process)
        if tokens < 1.0:
            self._buckets[agency_id] = (tokens, now)
            return False
        self._buckets[agency_id] = (tokens - 1.0, now)
        return True


@dataclass
class Services:
    """The state of the services in one process, built when the app starts."""

    engine: Engine
    settings: ApiSettings
    notifier: Notifier
    audit: AuditWriter
    grants: GrantCache
    limiter: RateLimiter
    spellings: SpellingDictionary = field(default_factory=SpellingDictionary)
    access_key: bytes = b""
    resident_key: bytes = b""
    sector_keys: dict[str, bytes] = field(default_factory=dict)
    registry_key: Ed25519PrivateKey | None = None
    extensions: dict[str, Any] = field(default_factory=dict)  # state a router keeps per process
    _sessions: sessionmaker[Session] | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session whose work commits at the end, or is rolled back."""
        if self._sessions is None:
            self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    _loop_connection: RawConnection | None = None
    _loop_dbapi: Any = None

    @contextmanager
    def connection(self) -> Iterator[Connection | RawConnection]:
        """Yield a connection whose work is committed at the end (the hot path's).

        On SQLite the work runs in the event loop's thread (see `run`), one request at a
        time, so one raw connection serves them all, without a trip through the pool.
        """
        if self.engine.dialect.name != "sqlite":
            with self.engine.begin() as connection:
                yield connection
            return
        if self._loop_connection is None:
            self._loop_dbapi = self.engine.raw_connection()
            self._loop_connection = RawConnection(self._loop_dbapi, self.engine.dialect)
        raw = self._loop_connection
        try:
            yield raw
            raw.commit()
        except BaseException:
            raw.rollback()
            raise

    def close(self) -> None:
        """Release the loop's connection."""
        if self._loop_dbapi is not None:
            self._loop_dbapi.close()
            self._loop_dbapi, self._loop_connection = None, None

    async def run(self, work: Callable[[], T]) -> T:
        """Run database work as `run_database_work` says."""
        return await run_database_work(self.engine, work)


async def run_database_work(engine: Engine, work: Callable[[], T]) -> T:
    """Run database work: inline on SQLite, in the thread pool on PostgreSQL.

    A SQLite lookup is a few microseconds of CPU with nothing to wait for, less than a hop to
    a thread costs; a PostgreSQL round trip waits on the network and must not hold the loop.
    """
    if engine.dialect.name == "sqlite":
        return work()
    return await run_in_threadpool(work)
