"""The audit log: every call to the services, hash-chained, checked by `sijill audit verify`.

Entry n holds `hash = SHA-256(n, hash of entry n-1, its content)`, and one head row holds the
last sequence number and hash. Altering an entry breaks its hash; removing one leaves a gap
or a chain that no longer links; inserting one breaks the link of the entry after it or goes
past the head. Someone able to rewrite the whole table could also recompute the chain: for
that, record the head outside the register now and then and check it with `--anchor`.

Appending takes the head row's lock (one UPDATE), never the register's writer lock, so the
services' writes never wait for a build, and a batch of entries costs one transaction.
"""

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.identity.models import AuditEntry, AuditHead
from sijill.uin import Uin

GENESIS = "0" * 64
HEAD_ID = 1
ACTOR_AGENCY = "agency"
ACTOR_RESIDENT = "resident"
ACTOR_OPERATOR = "operator"
ACTOR_NONE = "anonymous"


@dataclass(frozen=True)
class AuditRecord:
    """What one call did: who, for what purpose, which operation on which UIN, what was returned."""

    operation: str
    outcome: str
    status_code: int
    actor: str = ACTOR_NONE
    agency_id: int | None = None
    agency: str | None = None
    purpose: str | None = None
    uin: str | None = None
    via: str | None = None
    fields: tuple[str, ...] = ()
    at: datetime = field(default_factory=utcnow)


def _moment(at: datetime) -> str:
    """Return a time as UTC ISO text, the same whether the backend kept its timezone or not."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(seq: int, prev_hash: str, r: AuditRecord | AuditEntry) -> str:
    """Return the hash of an entry from its sequence number, the previous hash and its content."""
    content = [
        seq,
        prev_hash,
        _moment(r.at),
        r.actor,
        r.agency_id,
        r.agency,
        r.purpose,
        r.operation,
        r.uin,
        r.via,
        list(r.fields),
        r.outcome,
        r.status_code,
    ]
    return hashlib.sha256(orjson.dumps(content)).hexdigest()


COLUMNS = (
    "seq",
    "at",
    "actor",
    "agency_id",
    "agency",
    "purpose",
    "operation",
    "uin",
    "via",
    "fields",
    "outcome",
    "status_code",
    "prev_hash",
    "hash",
)


# Taking the head locks it (a row lock on PostgreSQL, the write lock on SQLite), so that no
# other writer reads the same head between our read and our update.
_TAKE_HEAD = {
    "sqlite": "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash",
    "postgresql": "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
}
_MOVE_HEAD = {
    "sqlite": "UPDATE audit_head SET seq = ?, hash = ?, updated_at = ? WHERE id = 1",
    "postgresql": "UPDATE audit_head SET seq = %s, hash = %s, updated_at = %s WHERE id = 1",
}


def _insert_sql(dialect: str) -> str:
    """Return the INSERT of entries in the driver's own parameter style."""
    if dialect == "postgresql":
        marks = ", ".join("%s::jsonb" if c == "fields" else "%s" for c in COLUMNS)
    else:
        marks = ", ".join("?" for _ in COLUMNS)
    return f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ({marks})"


def _stored_time(at: datetime, dialect: str) -> datetime | str:
    """Return a time as the backend's column keeps it (SQLite: UTC text, as SQLAlchemy writes it)."""
    if dialect != "sqlite":
        return at
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%d %H:%M:%S.%f")


def append_entries(*, session: Session | Connection, records: Sequence[AuditRecord]) -> list[int]:
    """Append records to the chain inside the caller's transaction; return their sequence numbers.

    The statements go to the driver as plain SQL and tuples: through the ORM each entry cost
    about forty times more than its hashing, and the audit is on every call.
    """
    if not records:
        return []
    connection = session.connection() if isinstance(session, Session) else session
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        return append_with_cursor(cursor, connection.dialect.name, records)
    finally:
        cursor.close()


def append_with_cursor(cursor: Any, dialect: str, records: Sequence[AuditRecord]) -> list[int]:
    """Append records through a DBAPI cursor, in the transaction it is in; return their numbers."""
    cursor.execute(_TAKE_HEAD[dialect])
    seq, prev = cursor.fetchone()
    first, rows = seq + 1, list[tuple[Any, ...]]()
    for r in records:
        seq += 1
        digest = entry_hash(seq, prev, r)
        fields = orjson.dumps(list(r.fields)).decode()
        at = _stored_time(r.at, dialect)
        who = (r.actor, r.agency_id, r.agency, r.purpose)
        what = (r.operation, r.uin, r.via, fields, r.outcome, r.status_code)
        rows.append((seq, at, *who, *what, prev, digest))
        prev = digest
    cursor.executemany(_insert_sql(dialect), rows)
    cursor.execute(_MOVE_HEAD[dialect], (seq, prev, _stored_time(utcnow(), dialect)))
    return list(range(first, seq + 1))


@dataclass
class ChainReport:
    """What `audit verify` found: entries read, the head, and each problem with the entries named."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Return True when no problem was found."""
        return not self.problems


def _entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=5000))


def verify_chain(*, session: Session, anchors: Iterable[tuple[int, str]] = ()) -> ChainReport:
    """Check every entry's hash and link, the head, and any anchors (seq, hash) kept elsewhere."""
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)).one()
    report = ChainReport(head_seq=head.seq, head_hash=head.hash)
    wanted = dict(anchors)
    last_seq, last_hash = 0, GENESIS
    for entry in _entries(session):
        report.entries += 1
        _check_entry(report, entry, last_seq, last_hash)
        if entry.seq in wanted and wanted.pop(entry.seq) != entry.hash:
            report.problems.append(f"entry {entry.seq}: differs from the anchor kept for it")
        last_seq, last_hash = entry.seq, entry.hash
    _check_end(report, last_seq, last_hash)
    report.problems += [f"entry {seq}: anchored but missing" for seq in sorted(wanted)]
    return report


def _check_entry(report: ChainReport, entry: AuditEntry, last_seq: int, last_hash: str) -> None:
    if entry_hash(entry.seq, entry.prev_hash, entry) != entry.hash:
        report.problems.append(f"entry {entry.seq}: altered (its content no longer matches its hash)")
    if entry.seq > last_seq + 1:
        gap = (
            f"entry {last_seq + 1}"
            if entry.seq == last_seq + 2
            else f"entries {last_seq + 1} to {entry.seq - 1}"
        )
        report.problems.append(f"{gap}: removed (the sequence jumps from {last_seq} to {entry.seq})")
    elif entry.prev_hash != last_hash:
        report.problems.append(
            f"entry {entry.seq}: does not follow entry {last_seq} (one of them was inserted or replaced)"
        )


def _span(first: int, last: int) -> str:
    return f"entry {first}" if first == last else f"entries {first} to {last}"


def _check_end(report: ChainReport, last_seq: int, last_hash: str) -> None:
    if last_seq < report.head_seq:
        report.problems.append(f"{_span(last_seq + 1, report.head_seq)}: removed from the end")
    elif last_seq > report.head_seq:
        report.problems.append(f"{_span(report.head_seq + 1, last_seq)}: inserted after the head")
    elif last_hash != report.head_hash:
        report.problems.append(f"entry {last_seq}: differs from the head (it was replaced)")


def accesses_of(
    *, session: Session, uin: str, limit: int = 100, before: int | None = None
) -> list[AuditEntry]:
    """Return the audit entries touching a person (any of their UINs), newest first.

    `before` pages back: pass the smallest sequence number of the previous page.
    """
    person = select(Uin.person_id).where(Uin.uin == uin).scalar_subquery()
    uins = [uin, *session.scalars(select(Uin.uin).where(Uin.person_id == person, Uin.uin != uin))]
    stmt = select(AuditEntry).where(AuditEntry.uin.in_(uins))
    if before is not None:
        stmt = stmt.where(AuditEntry.seq < before)
    return list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit)))
