"""Tables of the outbox: the events the register publishes, and each subscriber's cursor."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import BigId, Json, Timestamp

EVENT_BIRTH = "birth"
EVENT_DEATH = "death"
EVENT_CORRECTION = "correction"
EVENT_ADDRESS = "address"
EVENT_MERGE = "merge"
EVENT_SPLIT = "split"
EVENT_UNDO = "undo"
EVENT_NEW_PERSON = "new_person"
EVENT_LINK = "link"
EVENT_RESIDENT_CODE = "resident_code"
EVENT_KINDS = (
    EVENT_BIRTH,
    EVENT_DEATH,
    EVENT_CORRECTION,
    EVENT_ADDRESS,
    EVENT_MERGE,
    EVENT_SPLIT,
    EVENT_UNDO,
    EVENT_NEW_PERSON,
    EVENT_LINK,
    EVENT_RESIDENT_CODE,
)
# Messages for one resident (a one-time code for the delivery gateway, an SMS or e-mail
# sender reading the outbox): never in an agency's feed, which would let an agency open the
# resident's session.
PRIVATE_KINDS = frozenset({EVENT_RESIDENT_CODE})


class OutboxEvent(Base):
    """One published change; its id is the event's place in the one order subscribers read."""

    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_kind_id", "kind", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    uin: Mapped[str | None] = mapped_column(String(10))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # The build that published it; no foreign key, so that a process that only reads or
    # publishes events need not load the register's tables.
    build_id: Mapped[int | None] = mapped_column(BigInteger)


class OutboxSubscriber(Base):
    """A reader of the outbox and the id of the last event it acknowledged."""

    __tablename__ = "outbox_subscriber"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    acked_at: Mapped[datetime | None] = mapped_column(Timestamp)
