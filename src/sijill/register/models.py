"""Tables of the register: builds, persons and the links of records to persons."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sijill.db.base import Base, utcnow
from sijill.db.types import BigId, Json, Timestamp

PERSON_ACTIVE = "active"
PERSON_DECEASED = "deceased"
PERSON_MERGED = "merged"
PERSON_RETIRED = "retired"


class Build(Base):
    """One run of `sijill build`: when, on what, and its summary."""

    __tablename__ = "build"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    sources_dir: Mapped[str] = mapped_column(Text)
    linker: Mapped[str] = mapped_column(String(32))
    summary: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Person(Base):
    """A person of the register, holding one active UIN and golden attributes."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uin: Mapped[str] = mapped_column(String(10), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=PERSON_ACTIVE, index=True)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    family_ar: Mapped[str | None] = mapped_column(String(128))
    given_ar: Mapped[str | None] = mapped_column(String(128))
    family_lat: Mapped[str | None] = mapped_column(String(128))
    given_lat: Mapped[str | None] = mapped_column(String(128))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[str | None] = mapped_column(String(10))
    death_date: Mapped[str | None] = mapped_column(String(10))
    provenance: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # The HCP code of the commune of residence, set by a change of address (not by builds).
    commune: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Link(Base):
    """The person a source record belongs to, how that was decided and with what score."""

    __tablename__ = "link"
    __table_args__ = (Index("ix_link_person_id", "person_id"),)

    source_record_id: Mapped[int] = mapped_column(ForeignKey("source_record.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    method: Mapped[str] = mapped_column(String(24))
    score: Mapped[float | None]
    build_id: Mapped[int | None] = mapped_column(ForeignKey("build.id"))
    linked_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class PersonVersion(Base):
    """One state of a person, valid from one change to the next: who, when, why, from what.

    `valid_from`/`valid_to` are the register's times (when it knew), not the dates of the
    events themselves (those are in `attributes`: birth and death dates). No foreign keys:
    builds write a version of every person they create in one COPY, and checking each row
    against `person` and `build` cost 40% of that write on PostgreSQL; only
    `register.person_versions` writes here, with ids it has just read or made.
    """

    __tablename__ = "person_version"
    __table_args__ = (UniqueConstraint("person_id", "version", name="uq_person_version_person_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(Timestamp)
    valid_to: Mapped[datetime | None] = mapped_column(Timestamp)
    attributes: Mapped[dict[str, Any]] = mapped_column(Json)
    changed_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))
    build_id: Mapped[int | None] = mapped_column(BigInteger)


RELATION_MOTHER = "mother"
RELATION_FATHER = "father"


class PersonRelation(Base):
    """A parent of a person, as a birth declaration names it."""

    __tablename__ = "person_relation"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    relation: Mapped[str] = mapped_column(String(8), primary_key=True)
    relative_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class OperatorAction(Base):
    """A merge, split or undo by an operator, with what it changed so that it can be undone."""

    __tablename__ = "operator_action"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    kind: Mapped[str] = mapped_column(String(8))
    uin: Mapped[str] = mapped_column(String(10))
    operator: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    undoes: Mapped[int | None] = mapped_column(ForeignKey("operator_action.id"))
    undone_by: Mapped[int | None] = mapped_column(ForeignKey("operator_action.id"))
