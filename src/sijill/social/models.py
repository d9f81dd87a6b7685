"""Tables of the social register: households, members, scores, flags, cycles and payments.

Dates are ISO strings (`YYYY-MM-DD`, periods `YYYY-MM`), as the register's persons hold
them, so that they compare as text on both backends and bulk paths need no conversion.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import BigId, Json, Timestamp

HOUSEHOLD_ACTIVE = "active"
HOUSEHOLD_DISSOLVED = "dissolved"

MEMBER_ACTIVE = "active"
MEMBER_ENDED = "ended"
MEMBER_REJECTED = "rejected"

# Why a membership ended or a declared member was not accepted.
END_MOVED = "moved"
END_DEATH = "death"
END_REMOVED = "removed"
END_SPLIT = "split"
REJECT_DUPLICATE = "duplicate"
REJECT_NOT_IN_REGISTER = "not_in_register"
REJECT_DECEASED = "deceased"

CYCLE_PREPARED = "prepared"
CYCLE_APPROVED = "approved"
CYCLE_RELEASED = "released"

ENTITLEMENT_DUE = "due"
ENTITLEMENT_HELD = "held"

PAYMENT_PAID = "paid"
PAYMENT_FAILED = "failed"
PAYMENT_RETURNED = "returned"
PAYMENT_STATUSES = (PAYMENT_PAID, PAYMENT_FAILED, PAYMENT_RETURNED)

REQUEST_PENDING = "pending"
REQUEST_APPROVED = "approved"
REQUEST_REJECTED = "rejected"


class Household(Base):
    """A household as declared to the social register: where it lives and how it lives."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    commune: Mapped[str] = mapped_column(String(16))
    urban: Mapped[bool]
    region_code: Mapped[str] = mapped_column(String(2))
    province_code: Mapped[str] = mapped_column(String(8))
    head_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    variables: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    declared_on: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=HOUSEHOLD_ACTIVE)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class HouseholdMember(Base):
    """One person's membership of one household, from a date to a date.

    A person is an active member of at most one household at a time (a partial unique
    index). A declared member who is not accepted (absent from the population register,
    deceased, already in another household) is kept as a rejected row with its reason, so
    that nothing declared is dropped silently.
    """

    __tablename__ = "household_member"
    __table_args__ = (
        Index("ix_household_member_household_id", "household_id"),
        Index("ix_household_member_person_id", "person_id"),
        Index(
            "uq_household_member_active_person",
            "person_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    uin: Mapped[str | None] = mapped_column(String(10))
    declared_ref: Mapped[str | None] = mapped_column(String(80))
    relationship: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(24))
    start_date: Mapped[str] = mapped_column(String(10))
    end_date: Mapped[str | None] = mapped_column(String(10))


class HouseholdResidence(Base):
    """Where a household lived from a date to a date: emergency top-ups look back at it."""

    __tablename__ = "household_residence"
    __table_args__ = (Index("ix_household_residence_household_id", "household_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    commune: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[str] = mapped_column(String(10))
    end_date: Mapped[str | None] = mapped_column(String(10))


class IndexModel(Base):
    """A socio-economic index model as used to score: kept so every score stays explainable."""

    __tablename__ = "index_model"

    version: Mapped[str] = mapped_column(String(48), primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(Json)
    stored_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class HouseholdScore(Base):
    """The current index score of a household, with the model and household version used."""

    __tablename__ = "household_score"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    model_version: Mapped[str] = mapped_column(ForeignKey("index_model.version"))
    household_version: Mapped[int]
    score: Mapped[float]
    computed_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class HouseholdFlag(Base):
    """A cross-check's finding on a household, with its reason (recomputed by each check run)."""

    __tablename__ = "household_flag"
    __table_args__ = (Index("ix_household_flag_household_id", "household_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("household_member.id"))
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ChangeRequest(Base):
    """A change to a household asked by one person and decided by another (four eyes)."""

    __tablename__ = "change_request"
    __table_args__ = (
        Index("ix_change_request_household_id", "household_id"),
        CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="four_eyes"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=REQUEST_PENDING)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(Timestamp)
    note: Mapped[str | None] = mapped_column(Text)


class EmergencyActivation(Base):
    """An emergency top-up switched on for listed communes, from a period for some months."""

    __tablename__ = "emergency_activation"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    communes: Mapped[list[str]] = mapped_column(Json)
    event_date: Mapped[str] = mapped_column(String(10))
    first_period: Mapped[str] = mapped_column(String(7))
    last_period: Mapped[str] = mapped_column(String(7))
    switched_on_by: Mapped[str] = mapped_column(String(64))
    switched_on_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    switched_off_by: Mapped[str | None] = mapped_column(String(64))
    switched_off_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Cycle(Base):
    """One program's payment cycle for one period: prepared, approved by another, released."""

    __tablename__ = "cycle"
    __table_args__ = (
        UniqueConstraint("program", "period", name="uq_cycle_program_period"),
        CheckConstraint("approved_by IS NULL OR approved_by <> prepared_by", name="four_eyes"),
        CheckConstraint(
            "status = 'prepared' OR (approved_by IS NOT NULL AND approved_at IS NOT NULL)",
            name="approved_before_release",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    program: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(10), default=CYCLE_PREPARED)
    program_version: Mapped[str] = mapped_column(String(32))
    program_checksum: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(48))
    prepared_by: Mapped[str] = mapped_column(String(64))
    prepared_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(Timestamp)
    summary: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Entitlement(Base):
    """What one household is due from one program for one period, and who receives it.

    Unique per program, period and household, and per program, period and recipient: a
    person is never paid twice for the same program and period.
    """

    __tablename__ = "entitlement"
    __table_args__ = (
        UniqueConstraint("program", "period", "household_id", name="uq_entitlement_household"),
        UniqueConstraint("program", "period", "recipient_person_id", name="uq_entitlement_recipient"),
        Index("ix_entitlement_cycle_id", "cycle_id"),
        Index("ix_entitlement_household_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    program: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    recipient_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    recipient_uin: Mapped[str] = mapped_column(String(10))
    recipient_sex: Mapped[str | None] = mapped_column(String(1))
    amount_mad: Mapped[int]
    score: Mapped[float | None]
    commune: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(2))
    urban: Mapped[bool]
    persons: Mapped[int]
    status: Mapped[str] = mapped_column(String(8), default=ENTITLEMENT_DUE)
    hold_reason: Mapped[str | None] = mapped_column(String(48))


class EntitlementLine(Base):
    """One component of an entitlement: a child's allowance, a flat amount, a top-up.

    A beneficiary is counted at most once per program, period and component.
    """

    __tablename__ = "entitlement_line"
    __table_args__ = (
        UniqueConstraint(
            "program", "period", "beneficiary_person_id", "component", name="uq_entitlement_line_beneficiary"
        ),
        Index("ix_entitlement_line_entitlement_id", "entitlement_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entitlement_id: Mapped[int] = mapped_column(ForeignKey("entitlement.id"))
    program: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(7))
    beneficiary_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    component: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(64))
    amount_mad: Mapped[int]


class Payment(Base):
    """What the payment agency reported for one entitlement: paid, failed or returned.

    Database triggers refuse a payment for an entitlement whose cycle is not released or
    which is held: entitlements that were not approved can never be paid.
    """

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entitlement_id: Mapped[int] = mapped_column(ForeignKey("entitlement.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(64))
    source_file: Mapped[str | None] = mapped_column(String(255))
    reported_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
