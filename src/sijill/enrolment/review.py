"""The enrolments held for review, and a reviewer's decision on each.

A reviewer either links the enrolment to a person the register holds (its record joins that
person: no new UIN), or finds it is nobody the register holds (a new person and a new UIN).
Either way the decision is also stored in the linkage review queue as decided pairs with
the candidates' records, so that it binds every later build as a reviewer's word does.
"""

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.enrolment.errors import EnrolmentNotFound
from sijill.enrolment.evidence import evidence_from_json, record_parents
from sijill.enrolment.models import ENROLMENT_LINKED, ENROLMENT_NEW, ENROLMENT_REVIEW, Enrolment
from sijill.errors import NotFound, ReviewConflict, UsageError
from sijill.history import record_events
from sijill.linkage import LinkResult, ReviewItem, decide_review, queue_for_review
from sijill.linkage.features import RECORD_COLUMNS
from sijill.outbox import EVENT_LINK, EVENT_NEW_PERSON, publish
from sijill.register import PERSON_ACTIVE, Link, Person, assign_persons, get_person_by_uin
from sijill.register.golden import golden_of
from sijill.register.person_versions import record_current_versions
from sijill.sources import ACCEPTED, ENROLMENT_FORMAT, SourceRecord

LINK_TO_PERSON = "link"
NEW_PERSON = "new"
DECISIONS = (LINK_TO_PERSON, NEW_PERSON)
REVIEW_METHOD = "enrolment_review"
ENROLMENT_SOURCE = ENROLMENT_FORMAT.source


@dataclass
class EnrolmentDecision:
    """What a reviewer's decision did: the enrolment, its person's UIN, and whether it is new."""

    number: str
    status: str
    uin: str


def get_enrolment(*, session: Session, number: str) -> Enrolment:
    """Return the enrolment of this number; EnrolmentNotFound otherwise."""
    enrolment = session.scalars(select(Enrolment).where(Enrolment.number == number)).first()
    if enrolment is None:
        raise EnrolmentNotFound(f"no enrolment {number}")
    return enrolment


def pending_enrolments(*, session: Session, limit: int = 50) -> list[Enrolment]:
    """Return the enrolments waiting for a reviewer, oldest first."""
    stmt = select(Enrolment).where(Enrolment.status == ENROLMENT_REVIEW).order_by(Enrolment.id).limit(limit)
    return list(session.scalars(stmt))


def settle_enrolment(
    *,
    session: Session,
    number: str,
    decision: str,
    reviewer: str,
    uin: str | None = None,
    note: str | None = None,
) -> EnrolmentDecision:
    """Apply a reviewer's decision to a held enrolment: link it to `uin`, or make a new person."""
    if decision not in DECISIONS:
        raise UsageError(f"an enrolment decision is one of {', '.join(DECISIONS)}")
    enrolment = get_enrolment(session=session, number=number)
    if enrolment.status != ENROLMENT_REVIEW:
        raise ReviewConflict(f"enrolment {number} is not waiting for review (it is {enrolment.status})")
    record = session.get(SourceRecord, enrolment.record_id)
    assert record is not None
    record.status = ACCEPTED
    session.flush()
    if decision == LINK_TO_PERSON:
        person = _link(session, enrolment, record, uin, reviewer)
    else:
        person = _new_person(session, record)
        enrolment.status = ENROLMENT_NEW
        record_parents(session=session, person_id=person.id, evidence=evidence_from_json(enrolment.evidence))
    enrolment.person_id, enrolment.decided_by, enrolment.decided_at, enrolment.note = (
        person.id,
        reviewer,
        utcnow(),
        note,
    )
    _bind_later_builds(session, enrolment, record.id, person.id, reviewer)
    _history(session, enrolment, person.uin, reviewer)
    kind = EVENT_LINK if enrolment.status == ENROLMENT_LINKED else EVENT_NEW_PERSON
    publish(session, kind=kind, uin=person.uin, payload={"via": "enrolment review", "enrolment": number})
    return EnrolmentDecision(number, enrolment.status, person.uin)


def _link(
    session: Session, enrolment: Enrolment, record: SourceRecord, uin: str | None, reviewer: str
) -> Person:
    if not uin:
        raise UsageError("linking an enrolment needs the UIN of the person it is")
    person = get_person_by_uin(session=session, uin=uin)
    if person is None:
        raise NotFound("no person holds this UIN")
    if person.status != PERSON_ACTIVE:
        raise ReviewConflict(f"the person holding this UIN is {person.status}")
    score = next((c["probability"] for c in enrolment.candidates if c.get("uin") == person.uin), None)
    session.add(Link(source_record_id=record.id, person_id=person.id, method=REVIEW_METHOD, score=score))
    session.flush()
    records = session.scalars(
        select(SourceRecord)
        .join(Link, Link.source_record_id == SourceRecord.id)
        .where(Link.person_id == person.id, SourceRecord.status == ACCEPTED)
    ).all()
    for attribute, value in golden_of(list(records)).items():
        setattr(person, attribute, value)
    person.updated_at = utcnow()
    session.flush()
    record_current_versions(
        session, person_ids=[person.id], changed_by=reviewer, reason=REVIEW_METHOD, source=ENROLMENT_SOURCE
    )
    enrolment.status = ENROLMENT_LINKED
    return person


def _new_person(session: Session, record: SourceRecord) -> Person:
    """Give the record a person and a UIN as a build gives a cluster of its own."""
    frame = pd.DataFrame([[getattr(record, c) for c in RECORD_COLUMNS]], columns=RECORD_COLUMNS)
    frame = frame.rename(columns={"id": "record_id"})
    result = LinkResult({record.id: record.id}, {record.id: REVIEW_METHOD}, {record.id: None})
    assign_persons(session=session, result=result, build_id=None, records=frame)
    person_id = session.scalar(select(Link.person_id).where(Link.source_record_id == record.id))
    person = session.get(Person, person_id) if person_id is not None else None
    assert person is not None
    return person


def _one_record_of(session: Session, person_id: int) -> int | None:
    stmt = select(Link.source_record_id).where(Link.person_id == person_id).order_by(Link.source_record_id)
    return session.scalars(stmt.limit(1)).first()


def _decided_pairs(
    session: Session, enrolment: Enrolment, record_id: int, person_id: int
) -> list[tuple[int, str, float]]:
    """Return (record of a candidate person, decision, weight) for each candidate, and the
    linked person's when it was none of them."""
    pairs: list[tuple[int, str, float]] = []
    for candidate in enrolment.candidates:
        other = get_person_by_uin(session=session, uin=candidate["uin"]) if candidate.get("uin") else None
        other_record = _one_record_of(session, other.id) if other is not None else None
        if other is not None and other_record is not None and other_record != record_id:
            decision = "match" if other.id == person_id else "non_match"
            pairs.append((other_record, decision, float(candidate.get("match_weight", 0.0))))
    if enrolment.status == ENROLMENT_LINKED and not any(d == "match" for _, d, _ in pairs):
        own = _one_record_of(session, person_id)
        if own is not None and own != record_id:
            pairs.append((own, "match", 0.0))
    return pairs


def _bind_later_builds(
    session: Session, enrolment: Enrolment, record_id: int, person_id: int, reviewer: str
) -> None:
    """Store the decision as decided review pairs with a record of each candidate person."""
    pairs = _decided_pairs(session, enrolment, record_id, person_id)
    queue_for_review(
        session=session,
        pairs=[{"record_id_l": record_id, "record_id_r": r, "match_weight": w} for r, _, w in pairs],
    )
    session.flush()
    for other_record, decision, _ in pairs:
        left, right = sorted((record_id, other_record))
        item = session.scalars(
            select(ReviewItem).where(ReviewItem.record_id_l == left, ReviewItem.record_id_r == right)
        ).first()
        if item is not None and item.decided_at is None:
            decide_review(session=session, item_id=item.id, decision=decision, reviewer=reviewer)


def _history(session: Session, enrolment: Enrolment, uin: str, reviewer: str) -> None:
    record_events(
        session=session,
        build_id=None,
        events=[
            {
                "entity": "enrolment",
                "entity_id": enrolment.number,
                "action": "reviewed",
                "detail": {"status": enrolment.status, "uin": uin, "by": reviewer},
            }
        ],
    )
