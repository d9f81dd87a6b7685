"""Bulk writes keep every constraint: foreign keys checked once at the end are still checked."""

import sqlite3

import psycopg
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from sijill.db.base import utcnow
from sijill.db.bulk import BULK_CHECK_ROWS, bulk_insert, foreign_keys_checked_at_end
from sijill.db.engine import migrate, session_scope
from sijill.register.models import Person
from sijill.uin.models import UIN_ACTIVE, Uin

# Bulk writes go to the driver itself: its own error, or SQLAlchemy's for the keys added back.
BROKEN_KEY = (IntegrityError, sqlite3.IntegrityError, psycopg.IntegrityError)


def _foreign_keys(engine: Engine) -> int:
    if engine.dialect.name != "postgresql":
        return 1  # SQLite's keys live in the table's definition: nothing to drop
    with engine.connect() as con:
        sql = "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'uin'::regclass"
        return int(con.execute(text(sql)).scalar_one())


def _uin(code: str, person_id: int) -> dict[str, object]:
    return {
        "uin": code,
        "person_id": person_id,
        "status": UIN_ACTIVE,
        "alias_of": None,
        "issued_at": utcnow(),
    }


def test_keys_checked_at_end_stay_and_refuse_a_row_that_breaks_one(engine: Engine) -> None:
    migrate(engine)
    with session_scope(engine) as session:
        person = Person(uin="1000000001")
        session.add(person)
        session.flush()
        holder = person.id
    keys = _foreign_keys(engine)
    assert keys == 1
    broken = [_uin("1000000001", holder), _uin("2000000002", holder + 99)]
    with (
        pytest.raises(BROKEN_KEY),
        session_scope(engine) as session,
        foreign_keys_checked_at_end(session, Uin.__table__, rows=BULK_CHECK_ROWS),
    ):
        bulk_insert(session, Uin.__table__, broken)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Uin)) == 0  # all or nothing
    assert _foreign_keys(engine) == keys  # the keys came back with the rollback
    with (
        session_scope(engine) as session,
        foreign_keys_checked_at_end(session, Uin.__table__, rows=BULK_CHECK_ROWS),
    ):
        bulk_insert(session, Uin.__table__, [_uin("1000000001", holder)])
    assert _foreign_keys(engine) == keys
    with pytest.raises(BROKEN_KEY), session_scope(engine) as session:  # checked again, row by row
        bulk_insert(session, Uin.__table__, [_uin("3000000003", holder + 99)])
