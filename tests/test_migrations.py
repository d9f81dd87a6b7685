"""The migrations build exactly the schema of the models, on both backends, and go back down."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from sijill.db.engine import alembic_config
from sijill.db.models import Base


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_migrations_go_down_and_up_again(engine: Engine) -> None:
    from alembic import command

    cfg = alembic_config(engine)
    command.downgrade(cfg, "base")
    command.upgrade(cfg, "head")
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
