"""Find the person a UIN or VID stands for, as the services see them, and their eKYC view.

One query answers the hot path: the UIN (active or an alias after a merge), the person's
golden attributes, and whether the resident locked this operation. A VID is read first and
leads to its UIN; a temporary VID spends one of its uses when it identifies someone.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, exists, literal, or_, select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.identity.models import ACTIVE, TEMPORARY, USED, AuthLock, Vid
from sijill.identity.policies import ALL_OPERATIONS
from sijill.identity.raw import RawConnection
from sijill.register import PERSON_DECEASED, Link, Person
from sijill.sources import SUPERSEDED, SourceRecord
from sijill.uin import UIN_RETIRED, Uin

UIN_DIGITS = 10
VID_DIGITS = 16
VIA_UIN = "uin"
VIA_VID = "vid"

# The hot path runs on a raw connection (see `sijill.identity.raw`) as well as on a
# connection or a session: an ORM session costs more than the lookup itself.
Executor = Session | Connection | RawConnection


@dataclass(frozen=True)
class Subject:
    """The person a number leads to, with their golden attributes and lock state."""

    person_id: int
    uin: str
    via: str
    status: str
    family_ar: str | None
    given_ar: str | None
    family_lat: str | None
    given_lat: str | None
    sex: str | None
    birth_date: str | None
    death_date: str | None
    locked: bool

    @property
    def deceased(self) -> bool:
        """Return True when the register holds a death for this person."""
        return self.status == PERSON_DECEASED or self.death_date is not None


_LOCKED = exists().where(
    or_(AuthLock.uin == bindparam("asked"), AuthLock.uin == Person.uin),
    AuthLock.operation.in_([bindparam("operation"), literal(ALL_OPERATIONS)]),
)
_BY_UIN = (
    select(
        Person.id,
        Person.uin,
        Person.status,
        Person.family_ar,
        Person.given_ar,
        Person.family_lat,
        Person.given_lat,
        Person.sex,
        Person.birth_date,
        Person.death_date,
        _LOCKED.label("locked"),
    )
    .select_from(Uin)
    .join(Person, Person.id == Uin.person_id)
    .where(Uin.uin == bindparam("asked"), Uin.status != UIN_RETIRED)
)


def subject_by_uin(*, session: Executor, uin: str, operation: str, via: str = VIA_UIN) -> Subject | None:
    """Return the person a UIN (active or alias) leads to, or None."""
    row = session.execute(_BY_UIN, {"asked": uin, "operation": operation}).first()
    if row is None:
        return None
    status, family_ar, given_ar, family_lat, given_lat, sex, birth_date, death_date = row[2:10]
    return Subject(
        row[0],
        row[1],
        via,
        status,
        family_ar,
        given_ar,
        family_lat,
        given_lat,
        sex,
        birth_date,
        death_date,
        bool(row[10]),
    )


def identify(*, session: Executor, number: str, operation: str) -> Subject | None:
    """Return the person a UIN or VID stands for, or None (unknown, revoked, expired, spent).

    A locked subject is returned with `locked` set: the caller decides what the lock means.
    """
    if len(number) == UIN_DIGITS:
        return subject_by_uin(session=session, uin=number, operation=operation)
    vid = vid_of(session=session, vid=number)
    if vid is None or not vid_usable(vid, now=utcnow()):
        return None
    subject = subject_by_uin(session=session, uin=vid.uin, operation=operation, via=VIA_VID)
    if subject is not None and not subject.locked and vid.kind == TEMPORARY and not _spend_use(session, vid):
        return None
    return subject


_VID = select(Vid.vid, Vid.uin, Vid.kind, Vid.status, Vid.expires_at, Vid.uses_left).where(
    Vid.vid == bindparam("vid")
)


@dataclass(frozen=True)
class VidState:
    """What the hot path needs of a VID."""

    vid: str
    uin: str
    kind: str
    status: str
    expires_at: datetime | None
    uses_left: int | None


def vid_of(*, session: Executor, vid: str) -> VidState | None:
    """Return a VID's state, or None when no such VID was ever issued."""
    row = session.execute(_VID, {"vid": vid}).first()
    if row is None:
        return None
    expires_at = row[4]
    if isinstance(expires_at, str):  # a raw SQLite row: UTC text, as SQLAlchemy writes it
        expires_at = datetime.fromisoformat(expires_at).replace(tzinfo=UTC)
    return VidState(row[0], row[1], row[2], row[3], expires_at, row[5])


def vid_usable(vid: "Vid | VidState", *, now: datetime) -> bool:
    """Return True for an active VID that has not expired nor spent its uses."""
    if vid.status != ACTIVE:
        return False
    if vid.expires_at is not None and _aware(vid.expires_at) <= now:
        return False
    return vid.uses_left is None or vid.uses_left > 0


def _aware(moment: datetime) -> datetime:
    """Return a datetime with its timezone (SQLite gives UTC back without one)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def _spend_use(session: Executor, vid: VidState) -> bool:
    """Take one use of a temporary VID atomically; False when none was left."""
    taken = session.execute(_TAKE_USE, {"b_vid": vid.vid})
    if not taken.rowcount:  # type: ignore[union-attr]
        return False
    session.execute(_SPENT, {"b_vid": vid.vid})
    return True


_TAKE_USE = (
    update(Vid)
    .where(Vid.vid == bindparam("b_vid"), Vid.status == ACTIVE, Vid.uses_left > 0)
    .values(uses_left=Vid.uses_left - 1)
)
_SPENT = update(Vid).where(Vid.vid == bindparam("b_vid"), Vid.uses_left == 0).values(status=USED)


_RECORD_NAMES = (
    select(SourceRecord.family_ar, SourceRecord.given_ar, SourceRecord.family_lat, SourceRecord.given_lat)
    .join(Link, Link.source_record_id == SourceRecord.id)
    .where(Link.person_id == bindparam("person_id"), SourceRecord.status != SUPERSEDED)
)


def record_names(*, session: Executor, person_id: int) -> tuple[list[str], list[str]]:
    """Return the family and given names of every current record of a person, as registered."""
    family: list[str] = []
    given: list[str] = []
    for fam_ar, giv_ar, fam_lat, giv_lat in session.execute(_RECORD_NAMES, {"person_id": person_id}):
        family += [n for n in (fam_ar, fam_lat) if n]
        given += [n for n in (giv_ar, giv_lat) if n]
    return family, given


_EKYC = {
    "family_name_ar": "family_ar",
    "given_name_ar": "given_ar",
    "family_name_lat": "family_lat",
    "given_name_lat": "given_lat",
    "sex": "sex",
    "birth_date": "birth_date",
    "death_date": "death_date",
}


def ekyc_view(subject: Subject, fields: frozenset[str]) -> dict[str, Any]:
    """Return the allowed eKYC fields of a person, and whether they are deceased (always said)."""
    view: dict[str, Any] = {}
    if "uin" in fields:
        view["uin"] = subject.uin
    for name, attribute in _EKYC.items():
        if name in fields:
            view[name] = getattr(subject, attribute)
    view["deceased"] = subject.deceased
    return view
