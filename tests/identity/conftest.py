"""Fixtures of the identity services: a register built once per backend, copied for each test."""

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage.deterministic import DeterministicLinker
from sijill.register import PERSON_ACTIVE, Person
from sijill.register.flows import run_build

PG_ADMIN_URL = os.environ.get("SIJILL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BUILT_PG = f"sijill_template_api_{os.getpid()}"


def _pg_admin() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _build(url: str, sources: Path) -> None:
    engine = create_engine_for(url)
    migrate(engine)
    run_build(engine=engine, sources_dir=sources, linker=DeterministicLinker(), today=date(2026, 1, 1))
    engine.dispose()


@pytest.fixture(scope="session")
def built_sqlite(small_sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A register built once from the small synthetic sources (deterministic linkage)."""
    path = tmp_path_factory.mktemp("built") / "register.db"
    _build(f"sqlite:///{path}", small_sources)
    return path


@pytest.fixture(scope="session")
def built_pg(small_sources: Path) -> Iterator[str]:
    """The same register on PostgreSQL, as a template database."""
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{BUILT_PG}"'))
        con.execute(text(f'CREATE DATABASE "{BUILT_PG}"'))
    _build(_pg_url(BUILT_PG), small_sources)
    yield BUILT_PG
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{BUILT_PG}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def register_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of a fresh copy of the built register on each backend."""
    if request.param == "sqlite":
        built: Path = request.getfixturevalue("built_sqlite")
        target = tmp_path / "register.db"
        shutil.copy(built, target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("built_pg")
    name = f"sijill_test_api_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(name)
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def register(register_url: str) -> Iterator[Engine]:
    """Yield an engine on the fresh register."""
    engine = create_engine_for(register_url)
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class Resident:
    """A person of the register as the tests know them."""

    uin: str
    family_ar: str | None
    given_ar: str | None
    family_lat: str | None
    given_lat: str | None
    sex: str
    birth_date: str


def residents(engine: Engine, count: int = 20) -> list[Resident]:
    """Return active persons with full dates and Latin and Arabic names."""
    stmt = (
        select(
            Person.uin,
            Person.family_ar,
            Person.given_ar,
            Person.family_lat,
            Person.given_lat,
            Person.sex,
            Person.birth_date,
        )
        .where(
            Person.status == PERSON_ACTIVE,
            Person.family_lat.is_not(None),
            Person.given_lat.is_not(None),
            Person.family_ar.is_not(None),
            Person.given_ar.is_not(None),
            Person.sex.is_not(None),
        )
        .order_by(Person.id)
    )
    with session_scope(engine) as session:
        rows = [r for r in session.execute(stmt) if r.birth_date and len(r.birth_date) == 10]
    return [Resident(*r) for r in rows[:count]]
