"""A person as the desk shows it: UINs, golden attributes with provenance, records, versions,
history."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sijill.errors import NotFound
from sijill.history import HistoryEvent
from sijill.linkage import ReviewItem
from sijill.register import GOLDEN_FIELDS, Link, Person
from sijill.register.person_versions import PersonState, person_history
from sijill.sources import SourceRecord
from sijill.uin.models import Uin
from sijill.uin.service import uins_of

MAX_MERGE_HOPS = 64


@dataclass(frozen=True)
class VersionRow:
    """One version of a person as the page lists it: what changed from the one before."""

    state: PersonState
    changes: list[tuple[str, Any, Any]]  # (attribute, before, after); every set one at first


def version_rows(states: list[PersonState]) -> list[VersionRow]:
    """Return a person's versions, newest first, each with what it changed."""
    rows, before = [], dict[str, Any]()
    for state in states:
        after = state.attributes
        changed = [(f, before.get(f), after.get(f)) for f in after if after.get(f) != before.get(f)]
        rows.append(VersionRow(state, changed))
        before = after
    return rows[::-1]


@dataclass
class PersonView:
    """One person with everything the register holds about them."""

    person: Person
    uins: list[Uin]
    golden: list[tuple[str, Any, dict[str, str] | None]]
    records: list[tuple[SourceRecord, Link]]
    absorbed: list[Person]
    history: list[HistoryEvent]
    reviews: list[ReviewItem] = field(default_factory=list)
    versions: list[VersionRow] = field(default_factory=list)


def surviving_person_id(*, session: Session, person_id: int) -> int:
    """Return the person a person id leads to now, following merges."""
    current = session.get(Person, person_id)
    hops = 0
    while current is not None and current.merged_into is not None and hops < MAX_MERGE_HOPS:
        current, hops = session.get(Person, current.merged_into), hops + 1
    if current is None:
        raise NotFound(f"no person {person_id}")
    return current.id


def _absorbed(session: Session, person_id: int) -> list[Person]:
    """Return every person merged, directly or through others, into this one."""
    found: list[Person] = []
    frontier = [person_id]
    while frontier and len(found) < 10_000:
        children = list(session.scalars(select(Person).where(Person.merged_into.in_(frontier))))
        found.extend(children)
        frontier = [c.id for c in children]
    return found


def _history(
    session: Session, person_ids: list[int], record_ids: list[int], review_ids: list[int]
) -> list[HistoryEvent]:
    wanted = [
        (HistoryEvent.entity == "person") & HistoryEvent.entity_id.in_([str(p) for p in person_ids]),
    ]
    if record_ids:
        text_ids = [str(r) for r in record_ids]
        wanted.append(
            HistoryEvent.entity.in_(("link", "source_record")) & HistoryEvent.entity_id.in_(text_ids)
        )
    if review_ids:
        wanted.append(
            (HistoryEvent.entity == "review_item") & HistoryEvent.entity_id.in_([str(i) for i in review_ids])
        )
    stmt = select(HistoryEvent).where(or_(*wanted)).order_by(HistoryEvent.id.desc())
    return list(session.scalars(stmt))


def person_view(*, session: Session, person_id: int) -> PersonView:
    """Return the view of a person (not merged: follow `surviving_person_id` first)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    stmt = (
        select(SourceRecord, Link)
        .join(Link, Link.source_record_id == SourceRecord.id)
        .where(Link.person_id == person_id)
        .order_by(SourceRecord.source, SourceRecord.id)
    )
    records = [(r, link) for r, link in session.execute(stmt)]
    record_ids = [r.id for r, _ in records]
    reviews = list(
        session.scalars(
            select(ReviewItem)
            .where(or_(ReviewItem.record_id_l.in_(record_ids), ReviewItem.record_id_r.in_(record_ids)))
            .order_by(ReviewItem.id)
        )
    )
    absorbed = _absorbed(session, person_id)
    provenance = person.provenance or {}
    return PersonView(
        person=person,
        uins=uins_of(session=session, person_id=person_id),
        golden=[(f, getattr(person, f), provenance.get(f)) for f in GOLDEN_FIELDS],
        records=records,
        absorbed=absorbed,
        history=_history(
            session, [person_id, *(p.id for p in absorbed)], record_ids, [i.id for i in reviews]
        ),
        reviews=reviews,
        versions=version_rows(person_history(session, uin=person.uin)),
    )
