"""Alembic environment: migrate the engine handed over by sijill, or the configured URL."""

from alembic import context
from sqlalchemy import Engine

from sijill.db.engine import create_engine_for
from sijill.db.locks import acquire_writer_lock
from sijill.db.models import Base
from sijill.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if isinstance(engine, Engine):
        return engine
    return create_engine_for(get_settings().database_url)


def run_migrations_online() -> None:
    """Run the migrations in a transaction on the register's engine."""
    with _engine().begin() as connection:
        # One migration at a time: a second waits here, then finds the schema up to date.
        acquire_writer_lock(connection, wait_seconds=float(config.attributes.get("lock_wait_seconds", 60)))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        context.run_migrations()


run_migrations_online()
