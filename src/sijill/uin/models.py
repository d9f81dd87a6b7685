"""The UIN table: every UIN ever issued, written only by `sijill.uin.service`."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import Timestamp

UIN_ACTIVE = "active"
UIN_ALIAS = "alias"
UIN_RETIRED = "retired"


class Uin(Base):
    """Every UIN ever issued: active, alias of another after a merge, or retired."""

    __tablename__ = "uin"

    uin: Mapped[str] = mapped_column(String(10), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default=UIN_ACTIVE)
    alias_of: Mapped[str | None] = mapped_column(String(10))
    issued_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
