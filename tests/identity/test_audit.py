"""The audit log: hash-chained; `verify_chain` names every altered, inserted or removed entry."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from sijill.db.base import utcnow
from sijill.db.engine import session_scope
from sijill.identity import ACTOR_AGENCY, AuditEntry, AuditRecord, accesses_of, append_entries, verify_chain
from sijill.identity.audit import COLUMNS as AUDIT_COLUMNS
from sijill.identity.audit import GENESIS, entry_hash

COLUMNS = ", ".join(AUDIT_COLUMNS)


def _records(n: int, uin: str = "2345678901") -> list[AuditRecord]:
    return [
        AuditRecord(
            operation="persons",
            outcome="ok",
            status_code=200,
            actor=ACTOR_AGENCY,
            agency_id=1,
            agency="cnops",
            purpose="health-insurance",
            uin=uin,
            via="uin",
            fields=("birth_date", "given_name_lat"),
            at=utcnow() + timedelta(microseconds=i),
        )
        for i in range(n)
    ]


@pytest.fixture
def chain(engine: Engine) -> Engine:
    """A register whose audit log holds 10 entries."""
    with session_scope(engine) as session:
        assert append_entries(session=session, records=_records(6)) == [1, 2, 3, 4, 5, 6]
    with session_scope(engine) as session:
        assert append_entries(session=session, records=_records(4)) == [7, 8, 9, 10]
    return engine


def _problems(engine: Engine, anchors: tuple[tuple[int, str], ...] = ()) -> list[str]:
    with session_scope(engine) as session:
        return verify_chain(session=session, anchors=anchors).problems


def _tamper(engine: Engine, *statements: str) -> None:
    """Run statements as someone bypassing the append-only triggers would."""
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
            session.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        for statement in statements:
            session.execute(text(statement))


def test_an_intact_chain_verifies(chain: Engine) -> None:
    with session_scope(chain) as session:
        report = verify_chain(session=session)
    assert report.intact and report.entries == 10 and report.head_seq == 10


def test_the_log_refuses_updates_and_deletes(chain: Engine) -> None:
    for statement in (
        "UPDATE audit_log SET outcome = 'x' WHERE seq = 3",
        "DELETE FROM audit_log WHERE seq = 3",
    ):
        with pytest.raises(DBAPIError), session_scope(chain) as session:
            session.execute(text(statement))


def test_an_edited_entry_is_named(chain: Engine) -> None:
    _tamper(chain, "UPDATE audit_log SET agency = 'someone else' WHERE seq = 4")
    assert _problems(chain) == ["entry 4: altered (its content no longer matches its hash)"]


def test_edited_fields_returned_are_named(chain: Engine) -> None:
    _tamper(chain, "UPDATE audit_log SET fields = '[]' WHERE seq = 9")
    assert _problems(chain) == ["entry 9: altered (its content no longer matches its hash)"]


def test_a_deleted_entry_is_named(chain: Engine) -> None:
    _tamper(chain, "DELETE FROM audit_log WHERE seq = 5")
    assert _problems(chain) == ["entry 5: removed (the sequence jumps from 4 to 6)"]


def test_entries_deleted_from_the_end_are_named(chain: Engine) -> None:
    _tamper(chain, "DELETE FROM audit_log WHERE seq >= 9")
    assert _problems(chain) == ["entries 9 to 10: removed from the end"]


def test_an_inserted_entry_is_named(chain: Engine) -> None:
    with session_scope(chain) as session:
        tenth = session.get(AuditEntry, 10)
        assert tenth is not None
        last = tenth.hash
        forged = AuditRecord(
            operation=tenth.operation,
            outcome=tenth.outcome,
            status_code=tenth.status_code,
            actor=tenth.actor,
            agency_id=tenth.agency_id,
            agency=tenth.agency,
            purpose=tenth.purpose,
            uin="3456789012",
            via=tenth.via,
            fields=tuple(tenth.fields),
            at=tenth.at,
        )
    digest = entry_hash(11, last, forged)  # a well-formed entry, chained to the last one
    _tamper(
        chain,
        f"INSERT INTO audit_log ({COLUMNS}) SELECT 11, at, actor, agency_id, agency, purpose, operation, "
        f"'3456789012', via, fields, outcome, status_code, '{last}', '{digest}' "
        "FROM audit_log WHERE seq = 10",
    )
    assert _problems(chain) == ["entry 11: inserted after the head"]


def test_an_entry_replaced_in_the_middle_is_named(chain: Engine) -> None:
    _tamper(
        chain,
        "DELETE FROM audit_log WHERE seq = 6",
        f"INSERT INTO audit_log ({COLUMNS}) SELECT 6, at, actor, agency_id, agency, purpose, operation, "
        f"uin, via, fields, 'forged', status_code, prev_hash, '{GENESIS}' FROM audit_log WHERE seq = 7",
    )
    problems = _problems(chain)
    assert "entry 6: altered (its content no longer matches its hash)" in problems
    assert "entry 7: does not follow entry 6 (one of them was inserted or replaced)" in problems


def test_a_rewritten_chain_is_caught_by_an_anchor_kept_elsewhere(chain: Engine) -> None:
    with session_scope(chain) as session:
        anchor = (10, verify_chain(session=session).head_hash)
    _tamper(
        chain,
        "DELETE FROM audit_log WHERE seq = 10",
        "UPDATE audit_head SET seq = 9, hash = (SELECT hash FROM audit_log WHERE seq = 9)",
    )
    assert _problems(chain, (anchor,)) == ["entry 10: anchored but missing"]


def test_accesses_are_listed_newest_first_and_page_back(chain: Engine) -> None:
    with session_scope(chain) as session:
        append_entries(session=session, records=_records(2, uin="9876543210"))
        entries = accesses_of(session=session, uin="2345678901", limit=4)
        assert [e.seq for e in entries] == [10, 9, 8, 7]
        assert [e.seq for e in accesses_of(session=session, uin="2345678901", limit=4, before=7)] == [
            6,
            5,
            4,
            3,
        ]
        assert [e.seq for e in accesses_of(session=session, uin="9876543210")] == [12, 11]
        assert entries[0].fields == ["birth_date", "given_name_lat"]


@given(st.lists(st.sampled_from(["ok", "denied", "match"]), min_size=1, max_size=30))
def test_the_hash_depends_on_every_field_and_the_previous_hash(outcomes: list[str]) -> None:
    seen: set[str] = set()
    prev = GENESIS
    for seq, outcome in enumerate(outcomes, start=1):
        record = AuditRecord(operation="verify", outcome=outcome, status_code=200, uin="2345678901")
        digest = entry_hash(seq, prev, record)
        assert digest not in seen
        seen.add(digest)
        prev = digest
