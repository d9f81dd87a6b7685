"""Read the register: the crosswalk, the quarantine, persons by UIN or source id."""

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.errors import OutputError
from sijill.register.models import Link, Person
from sijill.sources.models import QUARANTINED, SUPERSEDED, IngestBatch, SourceRecord
from sijill.uin.service import holder_of

# The contract's three columns; with `detail`, where each row came from and what became of
# it, so that every data row is accounted for (a quarantined duplicate names the line it repeats).
CROSSWALK_COLUMNS = ["source", "source_id", "uin"]
CROSSWALK_DETAIL_COLUMNS = [*CROSSWALK_COLUMNS, "file", "line", "status", "reason"]


def crosswalk_rows(*, session: Session, detail: bool = False) -> Iterator[tuple[str, ...]]:
    """Yield (source, source_id, uin) for every current source record, '' when quarantined;
    with `detail`, also the file, line, status and reason (`CROSSWALK_DETAIL_COLUMNS`)."""
    stmt = (
        select(
            SourceRecord.source,
            SourceRecord.source_id,
            Person.uin,
            IngestBatch.file_name,
            SourceRecord.row_number,
            SourceRecord.status,
            SourceRecord.reason,
        )
        .join(IngestBatch, IngestBatch.id == SourceRecord.batch_id)
        .outerjoin(Link, Link.source_record_id == SourceRecord.id)
        .outerjoin(Person, Person.id == Link.person_id)
        .where(SourceRecord.status != SUPERSEDED)
        .order_by(SourceRecord.source, SourceRecord.batch_id, SourceRecord.row_number)
    )
    for source, source_id, uin, file_name, line, status, reason in session.execute(stmt).yield_per(20_000):
        if detail:
            yield source, source_id or "", uin or "", file_name, str(line), status, reason or ""
        else:
            yield source, source_id or "", uin or ""


def export_crosswalk(*, session: Session, out: Path, detail: bool = False) -> int:
    """Write the crosswalk CSV (with `detail`, file, line, status and reason too); return its rows."""
    count = 0
    try:
        handle = out.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{out}: cannot be written ({exc.strerror or type(exc).__name__})") from None
    with handle as f:
        writer = csv.writer(f)
        writer.writerow(CROSSWALK_DETAIL_COLUMNS if detail else CROSSWALK_COLUMNS)
        for row in crosswalk_rows(session=session, detail=detail):
            writer.writerow(row)
            count += 1
    return count


def quarantined(
    *, session: Session, source: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Return quarantined rows: source, source id, row number, file batch and reason."""
    stmt = (
        select(
            SourceRecord.source,
            SourceRecord.source_id,
            SourceRecord.row_number,
            SourceRecord.batch_id,
            SourceRecord.reason,
        )
        .where(SourceRecord.status == QUARANTINED)
        .order_by(SourceRecord.batch_id, SourceRecord.row_number)
    )
    if source:
        stmt = stmt.where(SourceRecord.source == source)
    if limit:
        stmt = stmt.limit(limit)
    return [dict(r._mapping) for r in session.execute(stmt)]


def get_person_by_uin(*, session: Session, uin: str) -> Person | None:
    """Return the person holding this UIN, following an alias to the surviving person."""
    person_id = holder_of(session=session, uin=uin)
    return session.get(Person, person_id) if person_id is not None else None


def resolve_source_id(*, session: Session, source: str, source_id: str) -> str | None:
    """Return the UIN a source id is linked to, or None."""
    stmt = (
        select(Person.uin)
        .join(Link, Link.person_id == Person.id)
        .join(SourceRecord, SourceRecord.id == Link.source_record_id)
        .where(
            SourceRecord.source == source,
            SourceRecord.source_id == source_id,
            SourceRecord.status != SUPERSEDED,
        )
    )
    return session.scalars(stmt.limit(1)).first()
