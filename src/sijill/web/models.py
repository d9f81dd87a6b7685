"""Tables of the review desk: its users and their sessions, review leases, the name index."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import BigId, Json, Timestamp


def as_utc(moment: datetime) -> datetime:
    """Return a stored timestamp with its zone (SQLite hands them back without it)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class DeskUser(Base):
    """A person who works at the desk: a reviewer, operator, program manager or auditor."""

    __tablename__ = "desk_user"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(24))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(2), default="fr")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(Timestamp)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class DeskSession(Base):
    """A signed-in browser: the digest of its cookie, its CSRF token and when it expires."""

    __tablename__ = "desk_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_user.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)


class ReviewLease(Base):
    """A review item claimed by one reviewer until the lease expires."""

    __tablename__ = "review_lease"

    review_item_id: Mapped[int] = mapped_column(ForeignKey("review_item.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_user.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)


class ReviewSkip(Base):
    """A review item a reviewer set aside: not offered to that reviewer again."""

    __tablename__ = "review_skip"

    review_item_id: Mapped[int] = mapped_column(ForeignKey("review_item.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_user.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class NameKey(Base):
    """The loose phonetic keys of one form of a record's name, for search in either script."""

    __tablename__ = "name_key"
    __table_args__ = (
        Index("ix_name_key_family_given", "family_key", "given_key"),
        Index("ix_name_key_given_key", "given_key"),
    )

    record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), primary_key=True)
    family_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    given_key: Mapped[str] = mapped_column(String(64), primary_key=True)


class DeskSetting(Base):
    """One setting of the desk that belongs to the register (the census share it covers)."""

    __tablename__ = "desk_setting"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(Json)
