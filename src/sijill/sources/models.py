"""Tables of ingestion: batches of extract files and the source records they hold."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import BigId, Json, Timestamp

ACCEPTED = "accepted"
QUARANTINED = "quarantined"
SUPERSEDED = "superseded"
# An enrolment's record while a reviewer decides whether it is a person the register holds:
# no build links it (builds read accepted records only), so it never gets a UIN of its own.
HELD = "held"

# The normalised fields of a source record, defined once: linkage, golden attributes and
# evaluation read them under these names.
NAME_FIELDS = ("family_ar", "given_ar", "family_lat", "given_lat")
IDENTITY_FIELDS = (*NAME_FIELDS, "sex", "birth_date")
RECORD_FIELDS = (
    *IDENTITY_FIELDS,
    "birth_precision",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_place",
    "father_given_ar",
    "death_date",
    "cnie",
    "guardian_cnie",
    "household_ref",
    "commune",
)


class IngestBatch(Base):
    """One extract file ingested: which, its checksum and what became of its rows."""

    __tablename__ = "ingest_batch"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    build_id: Mapped[int | None] = mapped_column(ForeignKey("build.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_accepted: Mapped[int] = mapped_column(default=0)
    rows_quarantined: Mapped[int] = mapped_column(default=0)
    rows_unchanged: Mapped[int] = mapped_column(default=0)


class SourceRecord(Base):
    """One row of one extract, raw and normalised, accepted or quarantined with its reason."""

    __tablename__ = "source_record"
    __table_args__ = (
        Index("ix_source_record_source_id", "source", "source_id"),
        # One accepted version of a source record, whatever the code does.
        Index(
            "uq_source_record_accepted",
            "source",
            "source_id",
            unique=True,
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"))
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(String(64))
    row_number: Mapped[int]
    row_hash: Mapped[str] = mapped_column(String(32))
    raw: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[str]] = mapped_column(Json, default=list)
    # The version this record superseded, when it is a new content for a held source id.
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("source_record.id"))
    family_ar: Mapped[str | None] = mapped_column(String(128))
    given_ar: Mapped[str | None] = mapped_column(String(128))
    family_lat: Mapped[str | None] = mapped_column(String(128))
    given_lat: Mapped[str | None] = mapped_column(String(128))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    birth_precision: Mapped[str | None] = mapped_column(String(5))
    birth_year: Mapped[int | None]
    birth_month: Mapped[int | None]
    birth_day: Mapped[int | None]
    birth_place: Mapped[str | None] = mapped_column(String(128))
    father_given_ar: Mapped[str | None] = mapped_column(String(128))
    death_date: Mapped[str | None] = mapped_column(String(10))
    cnie: Mapped[str | None] = mapped_column(String(16), index=True)
    guardian_cnie: Mapped[str | None] = mapped_column(String(16))
    household_ref: Mapped[str | None] = mapped_column(String(32))
    commune: Mapped[str | None] = mapped_column(String(16))
