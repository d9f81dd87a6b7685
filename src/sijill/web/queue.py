"""The review queue as reviewers work it: highest impact first, each pair claimed with a lease.

Impact is how many records a decision settles: the records of the two persons together (a
link puts them all under one UIN); among equals, the stronger evidence first. A pair whose
two records a later build has made one person is moot and leaves the queue.

Two reviewers never decide the same pair: a reviewer works only the item they hold a lease
on (one `review_lease` row an item, its primary key refusing a second holder), and a lease
that expires goes back to the queue. Deciding checks the lease and the item's status in the
same transaction as the decision.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from sijill.db.base import utcnow
from sijill.linkage import ReviewItem
from sijill.register import Link, Person
from sijill.sources import SourceRecord
from sijill.web.models import DeskUser, ReviewLease, ReviewSkip, as_utc
from sijill.web.settings import desk_settings

PENDING = "pending"
_CHUNK = 5000
_CLAIM_BATCH = 25
_CLAIM_ROUNDS = 4


@dataclass(frozen=True)
class QueueEntry:
    """One pending pair as the queue shows it."""

    item_id: int
    match_weight: float
    impact: int
    left_person: int
    right_person: int
    claimed_by: str | None = None


def _record_counts(session: Session, persons: set[int]) -> dict[int, int]:
    ids, counts = sorted(persons), {}
    for i in range(0, len(ids), _CHUNK):
        stmt = (
            select(Link.person_id, func.count())
            .where(Link.person_id.in_(ids[i : i + _CHUNK]))
            .group_by(Link.person_id)
        )
        counts.update({p: int(n) for p, n in session.execute(stmt)})
    return counts


def _ordered_queue() -> Select[int, float, int, int, int]:
    """Return the pending pairs still two persons, highest impact first, in one statement.

    Impact is counted in the database (an index-only count per person), so that a queue of
    20,000 pairs is ordered without bringing it to Python.
    """
    left, right = aliased(Link), aliased(Link)

    def records_of(side: type[Link]) -> ColumnElement[int]:
        counted = aliased(Link)
        return (
            select(func.count())
            .select_from(counted)
            .where(counted.person_id == side.person_id)
            .correlate(side)
            .scalar_subquery()
        )

    impact = (records_of(left) + records_of(right)).label("impact")
    return (
        select(ReviewItem.id, ReviewItem.match_weight, left.person_id, right.person_id, impact)
        .join(left, left.source_record_id == ReviewItem.record_id_l)
        .join(right, right.source_record_id == ReviewItem.record_id_r)
        .where(ReviewItem.status == PENDING, left.person_id != right.person_id)
        .order_by(impact.desc(), ReviewItem.match_weight.desc(), ReviewItem.id)
    )


def _live_leases(session: Session, item_ids: list[int]) -> dict[int, tuple[int, str]]:
    stmt = (
        select(ReviewLease.review_item_id, ReviewLease.user_id, DeskUser.name, ReviewLease.expires_at)
        .join(DeskUser, DeskUser.id == ReviewLease.user_id)
        .where(ReviewLease.review_item_id.in_(item_ids))
    )
    now = utcnow()
    return {i: (u, n) for i, u, n, e in session.execute(stmt) if as_utc(e) > now}


def queue_entries(*, session: Session, limit: int | None = None) -> list[QueueEntry]:
    """Return the pending pairs still two persons, highest impact first (the first `limit`)."""
    stmt = _ordered_queue()
    rows = session.execute(stmt.limit(limit) if limit is not None else stmt).all()
    leases = _live_leases(session, [r[0] for r in rows]) if len(rows) <= _CHUNK else _all_leases(session)
    return [
        QueueEntry(
            item_id=i,
            match_weight=float(w),
            impact=int(n),
            left_person=pl,
            right_person=pr,
            claimed_by=leases[i][1] if i in leases else None,
        )
        for i, w, pl, pr, n in rows
    ]


def _all_leases(session: Session) -> dict[int, tuple[int, str]]:
    return _live_leases(session, list(session.scalars(select(ReviewLease.review_item_id))))


def queue_size(*, session: Session) -> int:
    """Return how many pending pairs are still two persons."""
    return int(
        session.scalar(select(func.count()).select_from(_ordered_queue().order_by(None).subquery())) or 0
    )


def lease_holder(*, session: Session, item_id: int) -> int | None:
    """Return the id of the user holding a live lease on this item, or None."""
    lease = session.get(ReviewLease, item_id)
    if lease is None or as_utc(lease.expires_at) <= utcnow():
        return None
    return lease.user_id


def _held_by(session: Session, user_id: int) -> int | None:
    now = utcnow()
    stmt = (
        select(ReviewLease.review_item_id, ReviewLease.expires_at)
        .join(ReviewItem, ReviewItem.id == ReviewLease.review_item_id)
        .where(ReviewLease.user_id == user_id, ReviewItem.status == PENDING)
        .order_by(ReviewLease.claimed_at)
    )
    return next((i for i, e in session.execute(stmt) if as_utc(e) > now), None)


def claim(*, session: Session, user_id: int, item_id: int) -> bool:
    """Take the lease on one item (or renew one's own); return False if another holds it."""
    holder = lease_holder(session=session, item_id=item_id)
    if holder is not None and holder != user_id:
        return False
    now = utcnow()
    expires = now + desk_settings().lease
    lease = session.get(ReviewLease, item_id)
    if lease is not None:
        lease.user_id, lease.claimed_at, lease.expires_at = user_id, now, expires
        session.flush()
        return True
    try:
        with session.begin_nested():
            session.add(
                ReviewLease(review_item_id=item_id, user_id=user_id, claimed_at=now, expires_at=expires)
            )
    except IntegrityError:  # another reviewer claimed it a moment ago
        return False
    return True


def claim_next(*, session: Session, user_id: int) -> int | None:
    """Return the item this user should review now, leased to them: theirs, else the next free."""
    held = _held_by(session, user_id)
    if held is not None:
        return held
    now = utcnow()
    taken = select(ReviewLease.review_item_id).where(ReviewLease.expires_at > now)
    skipped = select(ReviewSkip.review_item_id).where(ReviewSkip.user_id == user_id)
    free = _ordered_queue().where(ReviewItem.id.not_in(taken), ReviewItem.id.not_in(skipped))
    for _ in range(_CLAIM_ROUNDS):
        candidates = [row[0] for row in session.execute(free.limit(_CLAIM_BATCH))]
        if not candidates:
            return None
        for item_id in candidates:
            if claim(session=session, user_id=user_id, item_id=item_id):
                return item_id
    return None


def release(*, session: Session, item_id: int) -> None:
    """Give an item's lease back (after a decision)."""
    session.execute(delete(ReviewLease).where(ReviewLease.review_item_id == item_id))


def skip(*, session: Session, user_id: int, item_id: int) -> None:
    """Set an item aside for this user: released, and not offered to them again."""
    release(session=session, item_id=item_id)
    if session.get(ReviewSkip, (item_id, user_id)) is None:
        session.add(ReviewSkip(review_item_id=item_id, user_id=user_id))


PAIR_FIELDS = (
    "source",
    "source_id",
    "family_ar",
    "given_ar",
    "family_lat",
    "given_lat",
    "sex",
    "birth_date",
    "birth_place",
    "father_given_ar",
    "cnie",
    "guardian_cnie",
    "household_ref",
    "commune",
)
ARABIC_FIELDS = frozenset({"family_ar", "given_ar", "father_given_ar"})
OTHER_RECORDS_SHOWN = 20


@dataclass
class PairView:
    """Everything the desk shows of one pair: both records, their persons, the evidence."""

    item: ReviewItem
    left: SourceRecord
    right: SourceRecord
    left_person: Person
    right_person: Person
    left_records: int
    right_records: int
    rows: list[tuple[str, Any, Any, bool]]
    steps: list[tuple[str, str, float, float]]
    claimed_by: str | None
    decided_at: datetime | None
    left_others: list[SourceRecord] = field(default_factory=list)
    right_others: list[SourceRecord] = field(default_factory=list)


def _comparison_order(settings: dict[str, Any] | None, evidence: dict[str, Any]) -> list[str]:
    named = [c["output_column_name"] for c in (settings or {}).get("comparisons", [])]
    return [n for n in named if n in evidence] + sorted(set(evidence) - set(named))


def _steps(item: ReviewItem, settings: dict[str, Any] | None) -> list[tuple[str, str, float, float]]:
    """Return the waterfall of an item: (comparison, level label, weight, running total)."""
    from sijill.linkage import level_label, waterfall

    evidence = item.evidence or {}
    names = _comparison_order(settings, evidence)
    row: dict[str, Any] = {"match_weight": item.match_weight}
    row.update({f"mw_{n}": evidence[n]["match_weight"] for n in names})
    steps = []
    for name, weight, total in waterfall(row, names):
        label = ""
        if name != "prior" and settings is not None:
            label = level_label(settings, name, int(evidence[name].get("level", -1)))
        steps.append((name, label, weight, total))
    return steps


def _other_records(session: Session, person_id: int, shown: SourceRecord) -> list[SourceRecord]:
    """Return the other current records of a person: a decision on the pair moves them too."""
    stmt = (
        select(SourceRecord)
        .join(Link, Link.source_record_id == SourceRecord.id)
        .where(Link.person_id == person_id, SourceRecord.id != shown.id, SourceRecord.status == "accepted")
        .order_by(SourceRecord.source, SourceRecord.id)
        .limit(OTHER_RECORDS_SHOWN)
    )
    return list(session.scalars(stmt))


def pair_view(*, session: Session, item_id: int) -> PairView:
    """Return the view of one review item."""
    from sijill.errors import NotFound
    from sijill.linkage import latest_model
    from sijill.register import persons_of_records

    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"no review item {item_id}")
    left, right = session.get(SourceRecord, item.record_id_l), session.get(SourceRecord, item.record_id_r)
    held = persons_of_records(session=session, record_ids=[item.record_id_l, item.record_id_r])
    if left is None or right is None or len(held) < 2:
        raise NotFound(f"review item {item_id}: its records are no longer in the register")
    lp, rp = session.get(Person, held[left.id]), session.get(Person, held[right.id])
    assert lp is not None and rp is not None
    counts = _record_counts(session, {lp.id, rp.id})
    rows = [
        (f, getattr(left, f), getattr(right, f), getattr(left, f) == getattr(right, f)) for f in PAIR_FIELDS
    ]
    model = latest_model(session=session)
    holder = lease_holder(session=session, item_id=item_id)
    holder_name = session.scalar(select(DeskUser.name).where(DeskUser.id == holder)) if holder else None
    return PairView(
        item=item,
        left=left,
        right=right,
        left_person=lp,
        right_person=rp,
        left_records=counts.get(lp.id, 0),
        right_records=counts.get(rp.id, 0),
        rows=rows,
        steps=_steps(item, model.settings if model else None),
        claimed_by=holder_name,
        decided_at=item.decided_at,
        left_others=_other_records(session, lp.id, left),
        right_others=_other_records(session, rp.id, right) if rp.id != lp.id else [],
    )
