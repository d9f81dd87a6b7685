"""What life events and operator actions share: find the person, recompute it, version it."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.locks import acquire_writer_lock
from sijill.errors import EventRefused, NotFound
from sijill.register.golden import golden_of
from sijill.register.models import PERSON_RETIRED, Link, Person
from sijill.register.person_versions import record_versions, state_of
from sijill.sources import ACCEPTED, SourceRecord
from sijill.uin import check_uin
from sijill.uin.service import holder_of


@dataclass(frozen=True)
class Resolved:
    """The person a UIN leads to, and the UIN asked for when it was an alias of a merged person."""

    person: Person
    resolved_from: str | None


def hold_writer_lock(session: Session) -> None:
    """Take the register-wide writer lock for this transaction (nothing when already held)."""
    from sijill.settings import get_settings

    acquire_writer_lock(session.connection(), wait_seconds=get_settings().lock_wait_seconds)


def resolve_person(session: Session, *, uin: str) -> Resolved:
    """Return the person a UIN leads to, following an alias to the surviving person.

    A retired person (no record left, or split off and undone) takes no event.
    """
    check_uin(uin)
    holder = holder_of(session=session, uin=uin)
    person = session.get(Person, holder) if holder is not None else None
    if person is None:
        raise NotFound("no person holds this UIN")
    if person.status == PERSON_RETIRED:
        raise EventRefused("the person of this UIN is retired: it leads to no living record")
    return Resolved(person, uin if person.uin != uin else None)


def records_of(session: Session, *, person_id: int) -> list[SourceRecord]:
    """Return the accepted records linked to a person, in (source, source id) order."""
    stmt = (
        select(SourceRecord)
        .join(Link, Link.source_record_id == SourceRecord.id)
        .where(Link.person_id == person_id, SourceRecord.status == ACCEPTED)
        .order_by(SourceRecord.source, SourceRecord.source_id)
    )
    return list(session.scalars(stmt))


def refresh_golden(session: Session, person: Person) -> None:
    """Recompute a person's golden attributes from its accepted records, as a build would."""
    session.flush()
    golden = golden_of(records_of(session, person_id=person.id))
    for attribute, value in golden.items():
        setattr(person, attribute, value)
    person.updated_at = utcnow()


def new_version(session: Session, person: Person, *, by: str, reason: str, source: str | None) -> int:
    """Write the person's current state as its next version; return the version number."""
    session.flush()
    record_versions(
        session, states=[(person.id, state_of(person))], changed_by=by, reason=reason, source=source
    )
    from sijill.register.person_versions import latest_version

    return latest_version(session, person_id=person.id)
