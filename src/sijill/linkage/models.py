"""Tables of linkage: the learnt spellings, trained models and the review queue."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import BigId, Json, Timestamp

REVIEW_PENDING = "pending"
REVIEW_MATCH = "match"
REVIEW_NON_MATCH = "non_match"


class NameSpelling(Base):
    """How often an Arabic name was written with a Latin spelling on the same record."""

    __tablename__ = "name_spelling"

    arabic: Mapped[str] = mapped_column(String(128), primary_key=True)
    latin: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int]


class LinkageModel(Base):
    """A trained linkage model, versioned: its Splink settings and how it was trained."""

    __tablename__ = "linkage_model"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    settings: Mapped[dict[str, Any]] = mapped_column(Json)
    training: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class ReviewItem(Base):
    """A pair of records whose match weight falls between the two thresholds."""

    __tablename__ = "review_item"
    __table_args__ = (UniqueConstraint("record_id_l", "record_id_r"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id_l: Mapped[int] = mapped_column(ForeignKey("source_record.id"))
    record_id_r: Mapped[int] = mapped_column(ForeignKey("source_record.id"))
    match_weight: Mapped[float]
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=REVIEW_PENDING, index=True)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(Timestamp)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
