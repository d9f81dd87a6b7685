"""Life events: a birth declared, a death, a correction ordered by a court, a change of address.

Each event is one transaction under the register-wide writer lock (taken here if the caller
has not), and leaves four traces that commit together or not at all: the person's new
version (who, when, why, from what), the history, an outbox event, and for births, deaths
and corrections a civil-status act in `source_record`. The act is what keeps an event true
across builds: a build recomputes goldens from accepted records, and the civil registry is
trusted first for names, sex and dates, so a death or a correction written only on the
person would be undone by the next build touching that person.

An event naming a UIN merged into another person resolves to the surviving person (the
alias leads there everywhere, `holder_of`); the outcome says which UIN was asked for. A UIN of
a retired person is refused.
"""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.errors import EventRefused, UsageError
from sijill.geo import is_known_commune
from sijill.history import record_events
from sijill.outbox import EVENT_ADDRESS, EVENT_BIRTH, EVENT_CORRECTION, EVENT_DEATH, publish
from sijill.register.golden import GOLDEN_FIELDS, TRUST
from sijill.register.models import (
    PERSON_ACTIVE,
    PERSON_DECEASED,
    RELATION_FATHER,
    RELATION_MOTHER,
    Link,
    Person,
    PersonRelation,
)
from sijill.register.persons import hold_writer_lock, new_version, records_of, refresh_golden, resolve_person
from sijill.sources import ACCEPTED, FORMATS, SUPERSEDED, IngestBatch, SourceRecord, parse_row, row_hash
from sijill.sources.parse import parse_date, parse_sex
from sijill.uin.service import issue_uins, store_uins

CIVIL = "civil"
EVENT_METHOD = "event"
# Fields a correction may change: those the civil registry is trusted first for, so that the
# corrected act decides the golden value in every later build too.
CORRECTABLE = tuple(f for f in GOLDEN_FIELDS if TRUST[f][0] == CIVIL and f != "death_date")
_CIVIL_COLUMNS = {
    "family_ar": "nom_ar",
    "family_lat": "nom_fr",
    "given_ar": "prenom_ar",
    "given_lat": "prenom_fr",
    "sex": "sexe",
    "birth_date": "date_naissance",
}


@dataclass(frozen=True)
class EventOutcome:
    """What a life event did: the person's UIN, its new version, the outbox event, the act."""

    uin: str
    person_id: int
    version: int
    event_id: int
    record_id: int | None = None
    resolved_from: str | None = None


def _today() -> date:
    return utcnow().date()


def _checked_date(value: str, what: str) -> str:
    parsed = parse_date(value, today=_today())
    if parsed is None or parsed.precision != "day":
        raise UsageError(f"{what} must be a full date (YYYY-MM-DD), not in the future")
    return parsed.iso()


def _checked_commune(code: str) -> str:
    if not is_known_commune(code):
        raise UsageError(f"unknown commune code {code!r}: use an HCP code such as 01.511.01.01")
    return code


def _act_id(session: Session, commune: str, year: int) -> str:
    """Return the next civil act number of a commune and year (the civil registry's id shape)."""
    prefix = f"{commune}/{year}/"
    taken = session.scalar(
        select(func.count())
        .select_from(SourceRecord)
        .where(SourceRecord.source == CIVIL, SourceRecord.source_id.like(f"{prefix}%"))
    )
    return f"{prefix}{int(taken or 0) + 1}"


def _event_batch(session: Session, kind: str) -> IngestBatch:
    now = utcnow()
    batch = IngestBatch(
        source=CIVIL, file_name=f"event:{kind}", checksum=uuid.uuid4().hex, started_at=now, finished_at=now
    )
    batch.rows_read = batch.rows_accepted = 1
    session.add(batch)
    session.flush()
    return batch


def _write_act(
    session: Session, kind: str, raw: dict[str, str], previous_id: int | None = None
) -> SourceRecord:
    """Insert a civil act as an accepted source record, parsed as the civil extract is."""
    parsed = parse_row(raw, FORMATS[CIVIL], today=_today())
    if parsed.reason:
        raise UsageError(f"the {kind} act cannot be recorded: {parsed.reason}")
    batch = _event_batch(session, kind)
    record = SourceRecord(
        batch_id=batch.id,
        source=CIVIL,
        row_number=1,
        row_hash=row_hash(raw),
        raw=raw,
        status=ACCEPTED,
        flags=parsed.flags,
        previous_id=previous_id,
        **parsed.values,
    )
    session.add(record)
    session.flush()
    return record


def _link(session: Session, record: SourceRecord, person: Person) -> None:
    session.add(Link(source_record_id=record.id, person_id=person.id, method=EVENT_METHOD, score=None))


def _raw_of(person: Person, act_id: str) -> dict[str, str]:
    """Return a civil act's columns holding a person's current golden identity."""
    raw = {"acte_id": act_id}
    for field, column in _CIVIL_COLUMNS.items():
        raw[column] = getattr(person, field) or ""
    return raw


def _history(session: Session, person: Person, action: str, detail: dict[str, Any]) -> None:
    record_events(
        session=session,
        build_id=None,
        events=[{"entity": "person", "entity_id": person.id, "action": action, "detail": detail}],
    )


@dataclass(frozen=True)
class BirthDeclaration:
    """What a birth declaration states about the child (names normalised as an extract's)."""

    sex: str
    birth_date: str
    commune: str
    family_ar: str | None = None
    given_ar: str | None = None
    family_lat: str | None = None
    given_lat: str | None = None


def _parent(session: Session, uin: str | None, relation: str, born: str) -> Person | None:
    if uin is None:
        return None
    parent = resolve_person(session, uin=uin).person
    if parent.birth_date and parent.birth_date[:10] >= born:
        raise EventRefused(f"the {relation} is not born before the child")
    died_before = parent.death_date is not None and parent.death_date < born[:10]
    if relation == RELATION_MOTHER and parent.status == PERSON_DECEASED and died_before:
        raise EventRefused("the mother is recorded deceased before the birth date")
    return parent


def _birth_raw(child: BirthDeclaration, act_id: str, born: str) -> dict[str, str]:
    raw = {
        "acte_id": act_id,
        "nom_ar": child.family_ar or "",
        "nom_fr": child.family_lat or "",
        "prenom_ar": child.given_ar or "",
        "prenom_fr": child.given_lat or "",
        "sexe": child.sex,
        "date_naissance": born,
        "commune_naissance": child.commune,
    }
    return raw


def declare_birth(
    session: Session,
    *,
    child: BirthDeclaration,
    mother_uin: str,
    father_uin: str | None = None,
    by: str,
    act_id: str | None = None,
) -> EventOutcome:
    """Create the person a birth declaration names, with a new UIN, linked to its parents.

    Example:
        >>> declare_birth(session, child=BirthDeclaration("F", "2026-11-30", "01.511.01.01",
        ...     given_lat="amina", family_lat="alaoui"), mother_uin="2345678901", by="clerk7").uin
        '3456789012'
    """
    hold_writer_lock(session)
    born = _checked_date(child.birth_date, "the birth date")
    if parse_sex(child.sex) is None:
        raise UsageError("sex must be M or F")
    commune = _checked_commune(child.commune)
    mother = _parent(session, mother_uin, RELATION_MOTHER, born)
    father = _parent(session, father_uin, RELATION_FATHER, born)
    act = act_id or _act_id(session, commune, int(born[:4]))
    record = _write_act(session, EVENT_BIRTH, _birth_raw(child, act, born))
    [uin] = issue_uins(session=session, count=1)
    now = utcnow()
    person = Person(uin=uin, status=PERSON_ACTIVE, commune=commune, created_at=now, updated_at=now)
    session.add(person)
    session.flush()
    store_uins(session=session, holders=[(person.id, uin)])
    _link(session, record, person)
    for relation, parent in ((RELATION_MOTHER, mother), (RELATION_FATHER, father)):
        if parent is not None:
            session.add(PersonRelation(person_id=person.id, relation=relation, relative_id=parent.id))
    refresh_golden(session, person)
    version = new_version(session, person, by=by, reason=EVENT_BIRTH, source=f"{CIVIL}:{act}")
    _history(session, person, EVENT_BIRTH, {"uin": uin, "by": by, "act": act})
    payload = {"date": born, "mother_uin": mother.uin if mother else None}
    payload["father_uin"] = father.uin if father else None
    event = publish(session, kind=EVENT_BIRTH, uin=uin, payload=payload)
    return EventOutcome(uin, person.id, version, event, record.id)


def record_death(
    session: Session, *, uin: str, death_date: str, by: str, act_id: str | None = None
) -> EventOutcome:
    """Mark the person deceased on this date, with a civil death act; the UIN is kept forever.

    A second death, a death before the birth or in the future is refused (`EventRefused`).
    """
    hold_writer_lock(session)
    died = _checked_date(death_date, "the date of death")
    resolved = resolve_person(session, uin=uin)
    person = resolved.person
    if person.status == PERSON_DECEASED:
        raise EventRefused("the person of this UIN is already recorded deceased")
    if person.status != PERSON_ACTIVE:
        raise EventRefused(f"the person of this UIN is {person.status}: no event applies")
    if person.birth_date and died < person.birth_date[:10]:
        raise EventRefused("the date of death is before the birth of this person")
    act = act_id or _act_id(session, person.commune or "00.000.00.00", int(died[:4]))
    raw = {**_raw_of(person, act), "date_deces": died}
    record = _write_act(session, EVENT_DEATH, raw)
    _link(session, record, person)
    refresh_golden(session, person)
    if person.status != PERSON_DECEASED:  # a record trusted above the act dates it otherwise
        person.status, person.death_date = PERSON_DECEASED, died
    version = new_version(session, person, by=by, reason=EVENT_DEATH, source=f"{CIVIL}:{act}")
    _history(session, person, EVENT_DEATH, {"by": by, "act": act, "asked": resolved.resolved_from})
    payload = {"date": died, "resolved_from": resolved.resolved_from}
    event = publish(session, kind=EVENT_DEATH, uin=person.uin, payload=payload)
    return EventOutcome(person.uin, person.id, version, event, record.id, resolved.resolved_from)


def _civil_records(session: Session, person: Person) -> list[SourceRecord]:
    return [r for r in records_of(session, person_id=person.id) if r.source == CIVIL]


def _corrected_act(session: Session, old: SourceRecord, column: str, value: str) -> SourceRecord:
    """Supersede a civil act by its corrected version, linked to the same person."""
    raw = {**old.raw, column: value}
    old.status = SUPERSEDED
    session.flush()
    new = _write_act(session, EVENT_CORRECTION, raw, previous_id=old.id)
    return new


def correct_person(
    session: Session, *, uin: str, field: str, value: str, by: str, reason: str
) -> EventOutcome:
    """Correct a name, sex or date of birth (a court decision, say) in every civil act of the person.

    `reason` names the decision (a reason code or the decision's reference). A person with no
    civil act gets one holding the corrected value.
    """
    hold_writer_lock(session)
    if field not in CORRECTABLE:
        raise UsageError(f"a correction changes one of {', '.join(CORRECTABLE)}; not {field!r}")
    if field == "birth_date":
        value = _checked_date(value, "the corrected birth date")
    if field == "sex" and parse_sex(value) is None:
        raise UsageError("sex must be M or F")
    resolved = resolve_person(session, uin=uin)
    person = resolved.person
    column = _CIVIL_COLUMNS[field]
    acts = _civil_records(session, person)
    corrected: list[SourceRecord] = []
    for old in acts:
        new = _corrected_act(session, old, column, value)
        _link(session, new, person)
        corrected.append(new)
    if not acts:
        act = _act_id(session, person.commune or "00.000.00.00", _today().year)
        new = _write_act(session, EVENT_CORRECTION, {**_raw_of(person, act), column: value})
        _link(session, new, person)
        corrected.append(new)
    refresh_golden(session, person)
    source = f"{CIVIL}:{corrected[0].source_id}"
    version = new_version(session, person, by=by, reason=reason, source=source)
    detail = {"by": by, "reason": reason, "field": field, "acts": [r.id for r in corrected]}
    _history(session, person, "corrected", detail)
    event = publish(
        session,
        kind=EVENT_CORRECTION,
        uin=person.uin,
        payload={"field": field, "reason": reason, "resolved_from": resolved.resolved_from},
    )
    return EventOutcome(person.uin, person.id, version, event, corrected[0].id, resolved.resolved_from)


def change_address(
    session: Session, *, uin: str, commune: str, by: str, reason: str = "moved"
) -> EventOutcome:
    """Record that the person now lives in this commune (an HCP code, checked against `sijill.geo`)."""
    hold_writer_lock(session)
    code = _checked_commune(commune)
    resolved = resolve_person(session, uin=uin)
    person = resolved.person
    if person.status != PERSON_ACTIVE:
        raise EventRefused(f"the person of this UIN is {person.status}: no change of address applies")
    if person.commune == code:
        raise EventRefused(f"the person of this UIN already lives in commune {code}")
    previous, person.commune, person.updated_at = person.commune, code, utcnow()
    version = new_version(session, person, by=by, reason=reason, source=None)
    _history(session, person, EVENT_ADDRESS, {"by": by, "reason": reason, "from": previous, "to": code})
    event = publish(
        session,
        kind=EVENT_ADDRESS,
        uin=person.uin,
        payload={"commune": code, "reason": reason, "resolved_from": resolved.resolved_from},
    )
    return EventOutcome(person.uin, person.id, version, event, None, resolved.resolved_from)
