"""Enrol one person: match before any UIN is issued; a clear new person gets one, any other waits.

The form's record is matched against the register (`register.match`, the live matcher)
first. Only a clear `new` decision gives a person and a UIN (through `ingest_record`, which
writes the record, the person, the UIN, the history and the outbox's `new_person` event as
every online record does). A `link` or `review` decision means the register likely
holds the person already: the record is kept `held` (no build links it, so it never gets a
UIN of its own) and the enrolment waits for a reviewer with its candidates
(`pending_enrolments`, `settle_enrolment`). An enrolment never issues a second UIN.
"""

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.enrolment.errors import EnrolmentRefused
from sijill.enrolment.evidence import evidence_problems, record_parents
from sijill.enrolment.forms import EnrolmentForm, desk_number, parsed_record, raw_row
from sijill.enrolment.models import ENROLMENT_NEW, ENROLMENT_REVIEW, Enrolment
from sijill.errors import LinkageError
from sijill.history import record_events
from sijill.register.match import INVALID, NEW, Matcher, MatchResult, ingest_record
from sijill.sources import ACCEPTED, ENROLMENT_FORMAT, HELD, IngestBatch, ParsedRow, SourceRecord, row_hash

logger = logging.getLogger(__name__)
ENROLMENT_SOURCE = ENROLMENT_FORMAT.source
# What became of a form, as reports say it.
OUTCOME_NEW = "new"  # a new person with a new UIN
OUTCOME_QUEUED = "queued"  # held for a reviewer: the register likely holds the person
OUTCOME_ALREADY = "already"  # an entry of a bundle applied by an earlier sync
OUTCOME_REFUSED = "refused"  # the form or its evidence cannot be used; nothing written


@dataclass
class EnrolmentOutcome:
    """What became of one form: its number, outcome, the matcher's decision, UIN, candidates."""

    outcome: str
    number: str | None = None
    decision: str | None = None
    uin: str | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    client_id: str | None = None
    reason: str | None = None
    ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Return the outcome as JSON-ready data (UINs and numbers, never names)."""
        return vars(self) | {"ms": round(self.ms, 3)}


@dataclass(frozen=True)
class EnrolmentPlace:
    """Where a form comes from: a desk (no device), or an entry of a device's bundle."""

    number: str
    device: str | None = None
    bundle_id: str | None = None
    row_number: int = 1
    entry_digest: str | None = None


def _candidates(result: MatchResult) -> list[dict[str, Any]]:
    return [
        {"uin": c.uin, "probability": c.probability, "match_weight": c.match_weight, "weights": c.weights}
        for c in result.candidates
    ]


def _checked(session: Session, form: EnrolmentForm, number: str, today: date) -> ParsedRow:
    """Return the form's record, or raise EnrolmentRefused with every problem of its evidence."""
    parsed = parsed_record(form, number, today=today)
    problems = evidence_problems(session=session, evidence=form.evidence)
    if problems:
        raise EnrolmentRefused("; ".join(problems))
    return parsed


def enrol_person(
    *,
    session: Session,
    matcher: Matcher,
    form: EnrolmentForm,
    place: EnrolmentPlace | None = None,
    today: date | None = None,
) -> EnrolmentOutcome:
    """Enrol one person in the caller's writer session: a new UIN only for a clear new person.

    Raises EnrolmentRefused (nothing written) when the form or its evidence cannot be used.
    """
    place = place or EnrolmentPlace(desk_number())
    parsed = _checked(session, form, place.number, today or matcher.today)
    row = raw_row(form, place.number)
    matcher.catch_up(session)  # decide on the register as it stands, others' writes included
    result = matcher.match(ENROLMENT_SOURCE, row)
    if result.decision == INVALID:
        raise EnrolmentRefused(f"the form cannot be used: {result.reason}")
    if result.decision == NEW:
        return _enrol_new(session, matcher, form, place, row)
    record = _held_record(session, parsed, row, place, form.operator)
    enrolment = _enrolment(form, place, record.id, ENROLMENT_REVIEW, None)
    enrolment.candidates = _candidates(result)
    _store(session, enrolment, result.decision)
    return EnrolmentOutcome(
        OUTCOME_QUEUED,
        place.number,
        result.decision,
        None,
        enrolment.candidates,
        form.client_id,
        ms=result.ms,
    )


def _enrol_new(
    session: Session, matcher: Matcher, form: EnrolmentForm, place: EnrolmentPlace, row: dict[str, str]
) -> EnrolmentOutcome:
    """Write a clear new person through the live matcher's own path, and announce it."""
    written = ingest_record(session, matcher, ENROLMENT_SOURCE, row, by=form.operator)
    if written.decision != NEW or written.uin is None:
        # The index is the one just read; a different answer means a fault, not a person.
        raise LinkageError(f"enrolment {place.number}: the matcher changed its decision while writing")
    record_id = session.scalar(
        select(SourceRecord.id).where(
            SourceRecord.source == ENROLMENT_SOURCE,
            SourceRecord.source_id == place.number,
            SourceRecord.status == ACCEPTED,
        )
    )
    assert record_id is not None
    from sijill.register import get_person_by_uin

    person = get_person_by_uin(session=session, uin=written.uin)
    assert person is not None
    record_parents(session=session, person_id=person.id, evidence=form.evidence)
    _store(session, _enrolment(form, place, record_id, ENROLMENT_NEW, person.id), NEW)
    # `ingest_record` has announced the new person in the outbox (with its record id).
    return EnrolmentOutcome(OUTCOME_NEW, place.number, NEW, written.uin, [], form.client_id, ms=written.ms)


def _held_record(
    session: Session, parsed: ParsedRow, row: dict[str, str], place: EnrolmentPlace, by: str
) -> SourceRecord:
    """Store the form's record as `held`: kept, in the crosswalk, and linked by no build."""
    digest = row_hash(row)
    origin = f"bundle:{place.bundle_id}" if place.bundle_id else f"desk:{by}"
    batch = IngestBatch(source=ENROLMENT_SOURCE, file_name=origin[:255], checksum=digest, rows_read=1)
    session.add(batch)
    session.flush()
    values = {k: v for k, v in parsed.values.items() if k != "source_id"}
    record = SourceRecord(
        batch_id=batch.id,
        source=ENROLMENT_SOURCE,
        source_id=place.number,
        row_number=place.row_number,
        row_hash=digest,
        raw=row,
        status=HELD,
        flags=parsed.flags,
        **values,
    )
    session.add(record)
    session.flush()
    return record


def _enrolment(
    form: EnrolmentForm, place: EnrolmentPlace, record_id: int, status: str, person_id: int | None
) -> Enrolment:
    enrolment = Enrolment(
        number=place.number,
        record_id=record_id,
        device=place.device,
        bundle_id=place.bundle_id,
        client_id=form.client_id if place.device else None,
        entry_digest=place.entry_digest,
        operator=form.operator,
        evidence=form.evidence.as_json(),
        status=status,
        person_id=person_id,
        candidates=[],
    )
    if form.enrolled_at is not None:
        enrolment.enrolled_at = form.enrolled_at
    return enrolment


def _store(session: Session, enrolment: Enrolment, decision: str) -> None:
    session.add(enrolment)
    session.flush()
    detail: dict[str, Any] = {"by": enrolment.operator, "decision": decision, "status": enrolment.status}
    if enrolment.device:
        detail |= {"device": enrolment.device, "bundle": enrolment.bundle_id}
    record_events(
        session=session,
        build_id=None,
        events=[
            {"entity": "enrolment", "entity_id": enrolment.number, "action": "enrolled", "detail": detail}
        ],
    )
    logger.debug("enrolment %s: %s (matcher said %s)", enrolment.number, enrolment.status, decision)
