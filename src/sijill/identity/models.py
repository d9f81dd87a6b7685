"""Tables of the identity services: agencies, their policies and credentials, keys, virtual IDs,
authentication locks, one-time codes, the hash-chained audit log and the SPDCI registry state."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import BigId, Json, Timestamp

ACTIVE = "active"
REVOKED = "revoked"
USED = "used"

PERPETUAL = "perpetual"
TEMPORARY = "temporary"
_ONE_PERPETUAL = "kind = 'perpetual' AND status = 'active'"


class Agency(Base):
    """A partner agency (health insurance, social security, a school system...) using the services."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(8), default=ACTIVE)
    rate_per_second: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # For the SPDCI interface: the agency's sender id and the ed25519 key its messages are signed with.
    sender_id: Mapped[str | None] = mapped_column(String(99), unique=True)
    public_key: Mapped[str | None] = mapped_column(String(64))


class AgencyPolicy(Base):
    """What an agency may do for one purpose: operations, eKYC fields, sources and sector."""

    __tablename__ = "agency_policy"
    __table_args__ = (UniqueConstraint("agency_id", "purpose", name="uq_agency_policy_purpose"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    purpose: Mapped[str] = mapped_column(String(64))
    operations: Mapped[list[str]] = mapped_column(Json, default=list)
    fields: Mapped[list[str]] = mapped_column(Json, default=list)
    sources: Mapped[list[str]] = mapped_column(Json, default=list)
    sector: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class AgencyCredential(Base):
    """One credential of an agency, bound to one policy; only a hash of its secret is kept."""

    __tablename__ = "agency_credential"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("agency_policy.id"))
    status: Mapped[str] = mapped_column(String(8), default=ACTIVE)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class SectorKey(Base):
    """The secret key of one sector's tokens (HMAC): programs of a sector share it, others never."""

    __tablename__ = "sector_key"

    sector: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ServiceKey(Base):
    """A key of the services themselves: access-token and resident-token MACs, the SPDCI signing key."""

    __tablename__ = "service_key"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Vid(Base):
    """A virtual ID: 16 digits standing for a UIN in verify and eKYC, perpetual or temporary."""

    __tablename__ = "vid"
    __table_args__ = (
        Index(
            "uq_vid_one_active_perpetual",
            "uin",
            unique=True,
            sqlite_where=text(_ONE_PERPETUAL),
            postgresql_where=text(_ONE_PERPETUAL),
        ),
    )

    vid: Mapped[str] = mapped_column(String(16), primary_key=True)
    uin: Mapped[str] = mapped_column(String(10), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(8), default=ACTIVE)
    issued_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    uses_left: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


class AuthLock(Base):
    """A resident's lock on authentication: one operation, or every one ('*')."""

    __tablename__ = "auth_lock"

    uin: Mapped[str] = mapped_column(String(10), primary_key=True)
    operation: Mapped[str] = mapped_column(String(32), primary_key=True)
    locked_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    locked_by: Mapped[str] = mapped_column(String(64))


class OneTimeCode(Base):
    """A one-time code sent to a resident; only its hash is kept, it expires and allows few tries."""

    __tablename__ = "one_time_code"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uin: Mapped[str] = mapped_column(String(10), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(Timestamp)


class AuditEntry(Base):
    """One call to the services; entries are hash-chained and never updated nor deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_uin_seq", "uin", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(Timestamp)
    actor: Mapped[str] = mapped_column(String(10))
    agency_id: Mapped[int | None] = mapped_column(BigInteger)
    agency: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(32))
    uin: Mapped[str | None] = mapped_column(String(10))
    via: Mapped[str | None] = mapped_column(String(8))
    fields: Mapped[list[str]] = mapped_column(Json, default=list)
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int] = mapped_column(SmallInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The end of the audit chain (one row): its last sequence number and hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RegistrySubscription(Base):
    """An SPDCI subscription of an agency to life events of the register."""

    __tablename__ = "registry_subscription"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(36), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(16))
    notify_record_type: Mapped[str] = mapped_column(String(64))
    filter: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    sender_uri: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="subscribe")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RegistryTransaction(Base):
    """An SPDCI message received: its ids, action and status, for `txn/status` (no personal data)."""

    __tablename__ = "registry_txn"
    __table_args__ = (UniqueConstraint("agency_id", "message_id", name="uq_registry_txn_message"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    message_id: Mapped[str] = mapped_column(String(99))
    transaction_id: Mapped[str] = mapped_column(String(99), index=True)
    correlation_id: Mapped[str] = mapped_column(String(36), unique=True)
    action: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(8))
    summary: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
