"""Ingest extract files into the register: chunked, idempotent, every row accounted for."""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert
from sijill.history import record_events
from sijill.sources.models import (
    ACCEPTED,
    QUARANTINED,
    SUPERSEDED,
    IngestBatch,
    SourceRecord,
)
from sijill.sources.reader import ExtractFile, RawRow, read_rows
from sijill.sources.records import parse_row, row_hash

logger = logging.getLogger(__name__)
_TABLE = SourceRecord.__table__
_EMPTY_RECORD: dict[str, Any] = {c.name: None for c in SourceRecord.__table__.columns if c.name != "id"}
DUPLICATE_IN_EXTRACT = "duplicate source id within the extract, with different content"


@dataclass
class IngestOutcome:
    """What one file brought: counts, quarantine reasons, and whether it was seen before."""

    source: str
    file_name: str
    skipped_same_file: bool = False
    read: int = 0
    accepted: int = 0
    unchanged: int = 0
    superseded: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())


def _chunks(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _known(session: Session, source: str, ids: set[str]) -> list[Any]:
    """Return (id, source_id, row_hash, batch_id, status) of current records with these ids."""
    stmt = select(
        SourceRecord.id,
        SourceRecord.source_id,
        SourceRecord.row_hash,
        SourceRecord.batch_id,
        SourceRecord.status,
    ).where(
        SourceRecord.source == source,
        SourceRecord.source_id.in_(ids),
        SourceRecord.status != SUPERSEDED,
    )
    return list(session.execute(stmt))


def _idless_hashes(session: Session, source: str) -> set[str]:
    """Return the hashes of the rows of this source held without a source id (few)."""
    stmt = select(SourceRecord.row_hash).where(
        SourceRecord.source == source, SourceRecord.source_id.is_(None)
    )
    return set(session.scalars(stmt))


@dataclass
class _ChunkIngester:
    """Classify and insert the rows of one chunk."""

    session: Session
    extract: ExtractFile
    batch: IngestBatch
    today: date
    outcome: IngestOutcome
    build_id: int | None
    seen_hashes: set[str] = field(default_factory=set)

    def ingest(self, chunk: list[RawRow]) -> None:
        parsed = [
            (
                raw,
                parse_row(raw.values, self.extract.format, today=self.today) if raw.problem is None else None,
            )
            for raw in chunk
        ]
        digests = [row_hash(raw.values) for raw in chunk]
        ids = {p.values["source_id"] for _, p in parsed if p and p.values.get("source_id")}
        known = _known(self.session, self.extract.format.source, ids) if ids else []
        by_id = {k.source_id: k for k in known}
        seen_hashes = self.seen_hashes
        inserts: list[dict[str, Any]] = []
        superseded: list[int] = []
        for (raw, p), digest in zip(parsed, digests, strict=True):
            record = self._classify(raw, p, digest, by_id, seen_hashes, superseded)
            if record is not None:
                inserts.append(record)
        if superseded:
            self._supersede(superseded)
        if inserts:
            # Core executemany with one key set: one batched statement, not one per row.
            bulk_insert(self.session, _TABLE, [{**_EMPTY_RECORD, **r} for r in inserts], list(_EMPTY_RECORD))

    def _classify(
        self,
        raw: RawRow,
        parsed: Any,
        digest: str,
        by_id: dict[str, Any],
        seen_hashes: set[str],
        superseded: list[int],
    ) -> dict[str, Any] | None:
        self.outcome.read += 1
        base = {
            "batch_id": self.batch.id,
            "source": self.extract.format.source,
            "row_number": raw.number,
            "row_hash": digest,
            "raw": raw.values,
            "flags": [],
        }
        source_id = parsed.values.get("source_id") if parsed else None
        reason = raw.problem or (parsed.reason if parsed else None)
        previous = by_id.get(source_id) if source_id else None
        if previous is not None and previous.row_hash == digest:
            self.outcome.unchanged += 1
            return None
        if source_id is None and digest in seen_hashes:
            self.outcome.unchanged += 1
            return None
        if previous is not None and previous.batch_id == self.batch.id:
            reason = DUPLICATE_IN_EXTRACT
        elif previous is not None and previous.status == ACCEPTED and not reason:
            superseded.append(previous.id)
        if reason:
            self.outcome.quarantined[reason] = self.outcome.quarantined.get(reason, 0) + 1
            record = {**base, "source_id": source_id, "status": QUARANTINED, "reason": reason}
        else:
            self.outcome.accepted += 1
            record = {
                **base,
                **parsed.values,
                "flags": parsed.flags,
                "status": ACCEPTED,
                "reason": None,
            }
        marker = _Pending(self.batch.id, digest, ACCEPTED if not reason else QUARANTINED)
        if source_id:
            by_id[source_id] = marker
        else:
            seen_hashes.add(digest)
        return record

    def _supersede(self, record_ids: list[int]) -> None:
        self.outcome.superseded += len(record_ids)
        self.session.execute(
            update(SourceRecord).where(SourceRecord.id.in_(record_ids)).values(status=SUPERSEDED)
        )
        record_events(
            session=self.session,
            build_id=self.build_id,
            events=[
                {
                    "entity": "source_record",
                    "entity_id": rid,
                    "action": "superseded",
                    "detail": {"batch_id": self.batch.id},
                }
                for rid in record_ids
            ],
        )


@dataclass(frozen=True)
class _Pending:
    """A record of this chunk, not yet in the database, standing in for duplicate checks."""

    batch_id: int
    row_hash: str
    status: str
    id: int = -1


def already_ingested(*, session: Session, extract: ExtractFile) -> bool:
    """Return True when this very file (same checksum) was ingested before."""
    stmt = select(IngestBatch.id).where(
        IngestBatch.source == extract.format.source,
        IngestBatch.checksum == extract.checksum,
        IngestBatch.finished_at.is_not(None),
    )
    return session.execute(stmt.limit(1)).first() is not None


def ingest_extract(
    *,
    session: Session,
    extract: ExtractFile,
    build_id: int | None,
    chunk_size: int = 5000,
    today: date | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> IngestOutcome:
    """Ingest one checked extract file in chunks, inside the caller's transaction."""
    outcome = IngestOutcome(extract.format.source, extract.path.name)
    if already_ingested(session=session, extract=extract):
        outcome.skipped_same_file = True
        return outcome
    batch = IngestBatch(
        build_id=build_id,
        source=extract.format.source,
        file_name=extract.path.name,
        checksum=extract.checksum,
    )
    session.add(batch)
    session.flush()
    ingester = _ChunkIngester(
        session,
        extract,
        batch,
        today or date.today(),
        outcome,
        build_id,
        _idless_hashes(session, extract.format.source),
    )
    for chunk in _chunks(read_rows(extract), chunk_size):
        ingester.ingest(chunk)
        if on_rows:
            on_rows(len(chunk))
    batch.rows_read, batch.rows_accepted = outcome.read, outcome.accepted
    batch.rows_quarantined, batch.rows_unchanged = outcome.quarantined_total, outcome.unchanged
    batch.finished_at = utcnow()
    logger.info(
        "ingested %s: %d read, %d accepted, %d quarantined, %d unchanged",
        extract.format.source,
        outcome.read,
        outcome.accepted,
        outcome.quarantined_total,
        outcome.unchanged,
    )
    return outcome
