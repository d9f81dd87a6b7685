"""Versions of persons: every change is a new version with who, when, why and the source.

A version holds the whole state (golden attributes, status, commune, the person merged into),
valid from the change that made it until the next one. Builds write versions in bulk
(`record_versions`, tuples, one COPY on PostgreSQL); life events and operators write one at
a time through the same function. `person_at` reads the state the register held at a past
time; `person_history` every version.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert_tuples, db_timestamp
from sijill.errors import NotFound
from sijill.register.golden import GOLDEN_FIELDS
from sijill.register.models import PERSON_MERGED, Person, PersonVersion
from sijill.uin.service import holder_of

STATE_FIELDS = (*GOLDEN_FIELDS, "status", "commune", "merged_into")
BY_BUILD = "build"
_CHUNK = 5000
_COLUMNS = [
    "person_id",
    "version",
    "valid_from",
    "valid_to",
    "attributes",
    "changed_by",
    "reason",
    "source",
    "build_id",
]
_MAX_ALIAS_HOPS = 16


@dataclass(frozen=True)
class PersonState:
    """A person as the register held it from `valid_from` until `valid_to` (None: still)."""

    uin: str
    person_id: int
    version: int
    valid_from: datetime
    valid_to: datetime | None
    attributes: dict[str, Any]
    changed_by: str
    reason: str
    source: str | None
    build_id: int | None
    resolved_from: str | None = None  # the UIN asked for, when it led here as an alias

    def as_dict(self) -> dict[str, Any]:
        """Return the state as JSON-ready values."""
        return {
            "uin": self.uin,
            "person_id": self.person_id,
            "version": self.version,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "attributes": self.attributes,
            "changed_by": self.changed_by,
            "reason": self.reason,
            "source": self.source,
            "build_id": self.build_id,
            "resolved_from": self.resolved_from,
        }


def state_of(person: Person) -> dict[str, Any]:
    """Return the attributes a version of this person holds."""
    return {f: getattr(person, f) for f in STATE_FIELDS}


def _latest_versions(session: Session, person_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for i in range(0, len(person_ids), _CHUNK):
        stmt = (
            select(PersonVersion.person_id, func.max(PersonVersion.version))
            .where(PersonVersion.person_id.in_(person_ids[i : i + _CHUNK]))
            .group_by(PersonVersion.person_id)
        )
        found.update({p: int(v) for p, v in session.execute(stmt)})
    return found


def _close_open_versions(session: Session, person_ids: list[int], at: datetime) -> None:
    for i in range(0, len(person_ids), _CHUNK):
        session.execute(
            update(PersonVersion)
            .where(PersonVersion.person_id.in_(person_ids[i : i + _CHUNK]), PersonVersion.valid_to.is_(None))
            .values(valid_to=at)
        )


def record_versions(
    session: Session,
    *,
    states: Sequence[tuple[int, dict[str, Any]]],
    changed_by: str,
    reason: str,
    source: str | None = None,
    build_id: int | None = None,
    new_persons: bool = False,
) -> int:
    """Append a version (person id, attributes) for each person, closing its current one.

    With `new_persons` the persons have no version yet (a build creating them): nothing is
    read nor closed, every version is number 1. Returns how many versions were written.
    """
    if not states:
        return 0
    now = utcnow()
    ids = [p for p, _ in states]
    latest = {} if new_persons else _latest_versions(session, ids)
    if latest:
        _close_open_versions(session, list(latest), now)
    stamp = db_timestamp(session, now)
    rows = [
        (p, latest.get(p, 0) + 1, stamp, None, orjson.dumps(a).decode(), changed_by, reason, source, build_id)
        for p, a in states
    ]
    return bulk_insert_tuples(session, PersonVersion.__table__, _COLUMNS, rows)


def record_current_versions(
    session: Session,
    *,
    person_ids: Iterable[int],
    changed_by: str,
    reason: str,
    source: str | None = None,
    build_id: int | None = None,
) -> int:
    """Read these persons as they now are and append a version of each (see `record_versions`)."""
    ids = sorted(set(person_ids))
    states: list[tuple[int, dict[str, Any]]] = []
    columns = [getattr(Person, f) for f in STATE_FIELDS]
    for i in range(0, len(ids), _CHUNK):
        stmt = select(Person.id, *columns).where(Person.id.in_(ids[i : i + _CHUNK]))
        states.extend((r[0], dict(zip(STATE_FIELDS, r[1:], strict=True))) for r in session.execute(stmt))
    return record_versions(
        session, states=states, changed_by=changed_by, reason=reason, source=source, build_id=build_id
    )


def _aware(value: datetime) -> datetime:
    """Return a time in UTC; a naive one (as SQLite gives it back) is taken as UTC."""
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _state(uin: str, row: PersonVersion, resolved_from: str | None = None) -> PersonState:
    return PersonState(
        uin=uin,
        person_id=row.person_id,
        version=row.version,
        valid_from=_aware(row.valid_from),
        valid_to=_aware(row.valid_to) if row.valid_to else None,
        attributes=dict(row.attributes),
        changed_by=row.changed_by,
        reason=row.reason,
        source=row.source,
        build_id=row.build_id,
        resolved_from=resolved_from,
    )


def _own_person(session: Session, uin: str) -> Person:
    """Return the person a UIN was issued to (its own, even if since merged into another)."""
    person = session.scalar(select(Person).where(Person.uin == uin))
    if person is None:
        holder = holder_of(session=session, uin=uin)
        person = session.get(Person, holder) if holder is not None else None
    if person is None:
        raise NotFound("no person holds this UIN")
    return person


def _version_at(session: Session, person_id: int, at: datetime) -> PersonVersion | None:
    stmt = (
        select(PersonVersion)
        .where(
            PersonVersion.person_id == person_id,
            PersonVersion.valid_from <= at,
            (PersonVersion.valid_to.is_(None)) | (PersonVersion.valid_to > at),
        )
        .order_by(PersonVersion.version.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def person_at(session: Session, *, uin: str, at: datetime) -> PersonState | None:
    """Return the state of the person of this UIN as the register held it at `at`, or None.

    None when the person did not exist yet. A UIN merged into another person at that time
    leads to the survivor's state then (`resolved_from` names the UIN asked for).

    Example:
        >>> person_at(session, uin="2345678901", at=datetime(2026, 1, 1, tzinfo=UTC)).attributes["status"]
        'active'
    """
    at = _aware(at)
    person = _own_person(session, uin)
    asked: str | None = None
    for _ in range(_MAX_ALIAS_HOPS):
        row = _version_at(session, person.id, at)
        if row is None:
            return None
        into = row.attributes.get("merged_into")
        if row.attributes.get("status") != PERSON_MERGED or into is None:
            return _state(person.uin, row, asked)
        asked = asked or uin
        survivor = session.get(Person, int(into))
        if survivor is None:
            return _state(person.uin, row, asked)
        person = survivor
    return None


def person_history(session: Session, *, uin: str) -> list[PersonState]:
    """Return every version of the person this UIN was issued to, oldest first."""
    person = _own_person(session, uin)
    stmt = select(PersonVersion).where(PersonVersion.person_id == person.id).order_by(PersonVersion.version)
    return [_state(person.uin, row) for row in session.scalars(stmt)]


def latest_version(session: Session, *, person_id: int) -> int:
    """Return the number of a person's current version, 0 when it has none."""
    return _latest_versions(session, [person_id]).get(person_id, 0)
