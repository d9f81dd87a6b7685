"""Tables of enrolment: the field devices, each enrolment with its evidence, the bundles synced."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import BigId, Json, Timestamp

DEVICE_ACTIVE = "active"
DEVICE_REVOKED = "revoked"
# What became of an enrolment: a new person with a new UIN; held for a reviewer because the
# register likely holds the person already; linked to that person on a reviewer's word.
ENROLMENT_NEW = "new"
ENROLMENT_REVIEW = "review"
ENROLMENT_LINKED = "linked"


class EnrolmentDevice(Base):
    """A field device allowed to send bundles, known by the ed25519 key it signs them with."""

    __tablename__ = "enrolment_device"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))  # 32 raw bytes in base64
    status: Mapped[str] = mapped_column(String(8), default=DEVICE_ACTIVE)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class EnrolmentBundle(Base):
    """One bundle synced (or being synced): its digest, its entries, when it was complete."""

    __tablename__ = "enrolment_bundle"

    bundle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    device: Mapped[str] = mapped_column(ForeignKey("enrolment_device.name"), index=True)
    digest: Mapped[str] = mapped_column(String(44))  # base64 SHA-256 of what was signed
    entries: Mapped[int]
    first_synced_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Enrolment(Base):
    """One person enrolled: the record written, the evidence seen, and what became of it.

    `number` is the enrolment's number and the source id of its record. An entry of a
    bundle is known by (device, client id): the ledger that makes a second sync change nothing.
    """

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("device", "client_id", name="uq_enrolment_device_client_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(19), unique=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), unique=True)
    device: Mapped[str | None] = mapped_column(ForeignKey("enrolment_device.name"))
    bundle_id: Mapped[str | None] = mapped_column(ForeignKey("enrolment_bundle.bundle_id"), index=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    entry_digest: Mapped[str | None] = mapped_column(String(44))
    operator: Mapped[str] = mapped_column(String(64))
    enrolled_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(8), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(Timestamp)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
