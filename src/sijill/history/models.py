"""The history table: one row per change; rows are never updated nor deleted."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import BigId, Json, Timestamp


class HistoryEvent(Base):
    """One change to the register; rows are never updated nor deleted (database triggers)."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    build_id: Mapped[int | None] = mapped_column(ForeignKey("build.id"))
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(24))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
