"""The one way CLI commands open the register: `--db`, the engine, migration, a session.

Commands that write migrate the schema first; commands that only read never migrate and
refuse a register that does not exist (a mistyped path must not create an empty one).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: SIJILL_DATABASE_URL or sqlite:///sijill.db)"),
]


def database_url(db: str | None) -> str:
    """Return the URL named by --db, else SIJILL_DATABASE_URL, else the SQLite default."""
    from sijill.settings import get_settings

    return db or get_settings().database_url


def register_engine(db: str | None, *, write: bool) -> "Engine":
    """Return the engine of the register; migrated when writing, checked when reading."""
    from sijill.db.engine import create_engine_for, migrate, require_register

    engine = create_engine_for(database_url(db))
    if write:
        migrate(engine)
    else:
        require_register(engine)
    return engine


@contextmanager
def open_register(db: str | None, *, write: bool) -> Iterator["Session"]:
    """Yield a session on the register that commits whole at the end or rolls back.

    A writing session holds the register-wide writer lock until it ends.
    """
    from sijill.db.engine import session_scope
    from sijill.db.locks import writer_session

    engine = register_engine(db, write=write)
    try:
        with writer_session(engine) if write else session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()
