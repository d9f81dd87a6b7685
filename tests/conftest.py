"""Fixtures: a fresh, migrated register on SQLite and on the real PostgreSQL."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from sijill.db.engine import create_engine_for, migrate
from sijill.synth import generate

PG_ADMIN_URL = os.environ.get("SIJILL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TEMPLATE_DB = f"sijill_template_{os.getpid()}"


def _pg_admin() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """Create, once, a migrated PostgreSQL database to copy for every test."""
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}"'))
        con.execute(text(f'CREATE DATABASE "{TEMPLATE_DB}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{TEMPLATE_DB}"
    engine = create_engine_for(url)
    migrate(engine)
    engine.dispose()
    yield TEMPLATE_DB
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a fresh, migrated register on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'register.db'}"
        engine = create_engine_for(url)
        migrate(engine)
        engine.dispose()
        yield url
        return
    template = request.getfixturevalue("pg_template")
    name = f"sijill_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """Yield an engine on a fresh register."""
    eng = create_engine_for(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def small_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic sources directory of 800 persons (seed 3), shared by the tests."""
    out = tmp_path_factory.mktemp("sources")
    generate(out, persons=800, seed=3)
    return out


@pytest.fixture(scope="session")
def medium_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic sources directory of 5,000 persons (seed 5), for linkage quality."""
    out = tmp_path_factory.mktemp("sources_medium")
    generate(out, persons=5000, seed=5)
    return out
