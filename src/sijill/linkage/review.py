"""The review queue: uncertain pairs kept with their evidence, and reviewers' decisions."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.errors import NotFound, UsageError
from sijill.linkage.models import REVIEW_MATCH, REVIEW_NON_MATCH, REVIEW_PENDING, ReviewItem

DECISIONS = {"match": REVIEW_MATCH, "non_match": REVIEW_NON_MATCH}


def reviewer_constraints(*, session: Session) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Return the (must-link, cannot-link) record pairs decided by reviewers."""
    stmt = select(ReviewItem.record_id_l, ReviewItem.record_id_r, ReviewItem.status).where(
        ReviewItem.status != REVIEW_PENDING
    )
    must: list[tuple[int, int]] = []
    cannot: list[tuple[int, int]] = []
    for left, right, status in session.execute(stmt):
        (must if status == REVIEW_MATCH else cannot).append((left, right))
    return must, cannot


def queue_for_review(*, session: Session, pairs: list[dict[str, Any]]) -> int:
    """Add pairs not queued before; return how many are new."""
    known = {(a, b) for a, b in session.execute(select(ReviewItem.record_id_l, ReviewItem.record_id_r))}
    fresh = 0
    for pair in pairs:
        key = (
            min(pair["record_id_l"], pair["record_id_r"]),
            max(pair["record_id_l"], pair["record_id_r"]),
        )
        if key in known:
            continue
        known.add(key)
        session.add(
            ReviewItem(
                record_id_l=key[0],
                record_id_r=key[1],
                match_weight=pair["match_weight"],
                evidence=pair.get("evidence", {}),
            )
        )
        fresh += 1
    return fresh


def pending_reviews(*, session: Session, limit: int = 50) -> list[ReviewItem]:
    """Return pending review items, the most uncertain first."""
    stmt = (
        select(ReviewItem)
        .where(ReviewItem.status == REVIEW_PENDING)
        .order_by(ReviewItem.match_weight.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def decide_review(
    *, session: Session, item_id: int, decision: str, reviewer: str, note: str | None = None
) -> ReviewItem:
    """Record a reviewer's decision on one pair; it binds every later build."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"no review item {item_id}")
    if decision not in DECISIONS:
        raise UsageError(f"a decision is one of {', '.join(DECISIONS)}")
    item.status, item.decided_by, item.decided_at, item.note = (
        DECISIONS[decision],
        reviewer,
        utcnow(),
        note,
    )
    return item
