"""Read the register: the crosswalk, the quarantine, persons by UIN or source id."""

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.register.models import Link, Person
from sijill.sources.models import QUARANTINED, SUPERSEDED, SourceRecord
from sijill.uin.service import holder_of

CROSSWALK_COLUMNS = ["source", "source_id", "uin"]


def crosswalk_rows(*, session: Session) -> Iterator[tuple[str, str, str]]:
    """Yield (source, source_id, uin) for every current source record; '' when quarantined."""
    stmt = (
        select(SourceRecord.source, SourceRecord.source_id, Person.uin)
        .outerjoin(Link, Link.source_record_id == SourceRecord.id)
        .outerjoin(Person, Person.id == Link.person_id)
        .where(SourceRecord.status != SUPERSEDED)
        .order_by(SourceRecord.id)
    )
    for source, source_id, uin in session.execute(stmt).yield_per(20_000):
        yield source, source_id or "", uin or ""


def export_crosswalk(*, session: Session, out: Path) -> int:
    """Write the crosswalk CSV; return the number of rows written."""
    count = 0
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CROSSWALK_COLUMNS)
        for row in crosswalk_rows(session=session):
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
        .order_by(SourceRecord.id)
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
