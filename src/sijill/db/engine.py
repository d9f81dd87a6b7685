"""Engines and sessions on SQLite (embedded default) and PostgreSQL (production)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sijill.errors import DatabaseNotReady, NotFound, UsageError

logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys and use write-ahead logging on SQLite.

    The driver's own implicit transactions are turned off: sijill begins each transaction
    itself (`locks.begin_sqlite`), IMMEDIATE for writers, so that the write lock is taken at
    the start and not half-way through a build.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A national build writes millions of rows and their indexes in one transaction: a
    # large page cache (512 MB) keeps the index B-trees in memory instead of spilling.
    cursor.execute("PRAGMA cache_size=-524288")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


SUPPORTED = ("sqlite", "postgresql")


def create_engine_for(url: str) -> Engine:
    """Create the engine of a register database (sqlite:/// or postgresql+psycopg://)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(
            "the database URL is not a URL: use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        ) from None
    if parsed.get_backend_name() not in SUPPORTED:
        raise UsageError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://"
        )
    try:
        engine = create_engine(parsed, future=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise UsageError(f"cannot use this database URL: {type(exc).__name__}") from None
    if engine.dialect.name == "sqlite":
        from sijill.db.locks import begin_sqlite

        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", begin_sqlite)
    return engine


def alembic_config(engine: Engine) -> Config:
    """Return the Alembic configuration bound to this engine."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("sijill.db") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head", *, wait_seconds: float | None = None) -> None:
    """Bring the database schema to the given revision, holding the writer lock."""
    from sijill.db.locks import writer_engine
    from sijill.errors import SijillError
    from sijill.settings import get_settings

    wait = get_settings().lock_wait_seconds if wait_seconds is None else wait_seconds
    cfg = alembic_config(writer_engine(engine, wait_seconds=wait))
    cfg.attributes["lock_wait_seconds"] = wait
    try:
        command.upgrade(cfg, revision)
    except SijillError:
        raise
    except SQLAlchemyError as exc:
        cause = type(getattr(exc, "orig", None) or exc).__name__
        raise DatabaseNotReady(f"cannot migrate the register database ({cause})") from None
    except Exception as exc:  # Alembic's own errors (an unknown revision, say)
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DatabaseNotReady(f"cannot migrate the register database: {first}") from None


def sqlite_path(engine: Engine) -> Path | None:
    """Return the file of a SQLite register, None for PostgreSQL or an in-memory database."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def head_revision() -> str:
    """Return the schema revision this version of sijill needs."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("sijill.db") / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def require_register(engine: Engine) -> None:
    """Refuse a register that does not exist or whose schema is not this version's."""
    path = sqlite_path(engine)
    if path is not None and not path.is_file():
        raise NotFound(f"no register at {path}: check --db, or run `sijill build` to create one")
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                raise NotFound("this database holds no register: run `sijill build` or `sijill db upgrade`")
            current = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except SQLAlchemyError as exc:
        cause = type(getattr(exc, "orig", None) or exc).__name__
        raise DatabaseNotReady(f"cannot reach the register database ({cause})") from None
    if current != head_revision():
        raise DatabaseNotReady(
            f"the register's schema is at revision {current}, this sijill needs {head_revision()}: "
            "run `sijill db upgrade`"
        )


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
