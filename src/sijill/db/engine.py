"""Engines and sessions on SQLite (embedded default) and PostgreSQL (production)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from sijill.errors import DatabaseNotReady

logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys and use write-ahead logging on SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A national build writes millions of rows and their indexes in one transaction: a
    # large page cache (512 MB) keeps the index B-trees in memory instead of spilling.
    cursor.execute("PRAGMA cache_size=-524288")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def create_engine_for(url: str) -> Engine:
    """Create the engine of a register database (sqlite:/// or postgresql+psycopg://)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    """Return the Alembic configuration bound to this engine."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("sijill.db") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to the given revision."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except Exception as exc:  # the driver's own error types differ by backend
        raise DatabaseNotReady(f"cannot migrate the register database: {exc}") from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session whose work commits whole at the end, or is rolled back."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
