"""Apply a reviewer's decision to the register at once: merge the two persons or keep them apart.

The decision itself is stored by the linkage (`decide_review`: a must-link or cannot-link
that binds every later build); here the register follows it now, so that the desk shows the
outcome without waiting for the next build. A link merges the younger person into the older
one, as a build does (the older UIN survives, the other becomes its alias); keeping apart
changes nothing but the history. Both are written to the history with the reviewer's name,
and a link writes a new version of both persons (`person_versions`).
"""

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.errors import NotFound, ReviewConflict, UsageError
from sijill.history import record_events
from sijill.linkage import DECISIONS, ReviewItem, decide_review
from sijill.register.golden import golden_of
from sijill.register.models import PERSON_MERGED, Link, Person
from sijill.register.person_versions import record_current_versions
from sijill.sources import ACCEPTED, SourceRecord
from sijill.uin.service import alias_uins

LINK = "match"  # the decision, among `linkage.DECISIONS`, that makes two records one person
REVIEW_SOURCE = "review"  # the source of the versions a reviewer's link writes


@dataclass
class ReviewOutcome:
    """What a decision did to the register: the persons involved and the one that remains."""

    item_id: int
    decision: str
    person_ids: list[int] = field(default_factory=list)
    survivor_uin: str | None = None
    absorbed_uins: list[str] = field(default_factory=list)


def persons_of_records(*, session: Session, record_ids: list[int]) -> dict[int, int]:
    """Return record id -> the id of the person it is linked to."""
    stmt = select(Link.source_record_id, Link.person_id).where(Link.source_record_id.in_(record_ids))
    return {r: p for r, p in session.execute(stmt)}


def _refresh_golden(session: Session, person: Person) -> None:
    """Recompute a person's golden attributes from every accepted record linked to it."""
    records = session.scalars(
        select(SourceRecord)
        .join(Link, Link.source_record_id == SourceRecord.id)
        .where(Link.person_id == person.id, SourceRecord.status == ACCEPTED)
    ).all()
    golden = golden_of(list(records))
    for attribute, value in golden.items():
        setattr(person, attribute, value)
    person.updated_at = utcnow()


def merge_reviewed(
    *, session: Session, survivor: Person, absorbed: Person, reviewer: str, item_id: int
) -> None:
    """Fold one person into another on a reviewer's word, with the history of every change."""
    moved = list(session.scalars(select(Link.source_record_id).where(Link.person_id == absorbed.id)))
    session.execute(update(Link).where(Link.person_id == absorbed.id).values(person_id=survivor.id))
    absorbed.status, absorbed.merged_into, absorbed.updated_at = PERSON_MERGED, survivor.id, utcnow()
    alias_uins(session=session, absorbed=[absorbed.id], survivor=survivor.id, survivor_uin=survivor.uin)
    session.flush()
    _refresh_golden(session, survivor)
    record_current_versions(
        session,
        person_ids=[survivor.id, absorbed.id],
        changed_by=reviewer,
        reason=f"review {item_id}: linked",
        source=REVIEW_SOURCE,
    )
    by = {"by": reviewer, "review_item": item_id}
    record_events(
        session=session,
        build_id=None,
        events=[
            {
                "entity": "person",
                "entity_id": absorbed.id,
                "action": "merged",
                "detail": {"into": survivor.id, "alias_of": survivor.uin, **by},
            },
            {
                "entity": "person",
                "entity_id": survivor.id,
                "action": "review_linked",
                "detail": {"absorbed": absorbed.id, "absorbed_uin": absorbed.uin, **by},
            },
            *(
                {
                    "entity": "link",
                    "entity_id": rid,
                    "action": "moved",
                    "detail": {"from": absorbed.id, "to": survivor.id, "method": "review"},
                }
                for rid in moved
            ),
        ],
    )


def _pair_persons(session: Session, item: ReviewItem) -> tuple[Person, Person]:
    held = persons_of_records(session=session, record_ids=[item.record_id_l, item.record_id_r])
    if item.record_id_l not in held or item.record_id_r not in held:
        raise ReviewConflict(f"review item {item.id}: a record of the pair is no longer linked to a person")
    left, right = session.get(Person, held[item.record_id_l]), session.get(Person, held[item.record_id_r])
    assert left is not None and right is not None
    return left, right


def settle_review(
    *, session: Session, item_id: int, decision: str, reviewer: str, note: str | None = None
) -> ReviewOutcome:
    """Store a reviewer's decision on a pair and apply it to the register at once.

    A pair whose records have meanwhile become one person cannot be kept apart here (that
    is a split, an operator's task); a pair already decided is not decided again.
    """
    if decision not in DECISIONS:
        raise UsageError(f"a decision is one of {', '.join(DECISIONS)}")
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"no review item {item_id}")
    if item.decided_at is not None:
        raise ReviewConflict(f"review item {item_id} is already decided")
    left, right = _pair_persons(session, item)
    if left.id == right.id and decision != LINK:
        raise ReviewConflict(
            f"review item {item_id}: the two records are one person since a later build; "
            "keeping them apart is a split"
        )
    decide_review(session=session, item_id=item_id, decision=decision, reviewer=reviewer, note=note)
    outcome = ReviewOutcome(item_id, decision, sorted({left.id, right.id}))
    record_events(
        session=session,
        build_id=None,
        events=[
            {
                "entity": "review_item",
                "entity_id": item_id,
                "action": "decided",
                "detail": {"decision": decision, "by": reviewer, "persons": outcome.person_ids},
            }
        ],
    )
    if left.id == right.id:
        outcome.survivor_uin = left.uin
        return outcome
    if decision == LINK:
        survivor, absorbed = sorted((left, right), key=lambda p: p.id)
        merge_reviewed(
            session=session, survivor=survivor, absorbed=absorbed, reviewer=reviewer, item_id=item_id
        )
        outcome.survivor_uin, outcome.absorbed_uins = survivor.uin, [absorbed.uin]
        return outcome
    _keep_apart(session, left, right, reviewer, item_id)
    return outcome


def _keep_apart(session: Session, left: Person, right: Person, reviewer: str, item_id: int) -> None:
    record_events(
        session=session,
        build_id=None,
        events=[
            {
                "entity": "person",
                "entity_id": one.id,
                "action": "review_kept_apart",
                "detail": {"other": other.id, "other_uin": other.uin, "by": reviewer, "review_item": item_id},
            }
            for one, other in ((left, right), (right, left))
        ],
    )
