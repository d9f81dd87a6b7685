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


def _key(pair: dict[str, Any]) -> tuple[int, int]:
    """Return a pair's records in the order the queue stores them (smaller id first)."""
    left, right = int(pair["record_id_l"]), int(pair["record_id_r"])
    return min(left, right), max(left, right)


def queue_for_review(*, session: Session, pairs: list[dict[str, Any]]) -> int:
    """Add pairs not queued before; return how many are new."""
    if not pairs:
        return 0
    keys = sorted({_key(p) for p in pairs})
    known = {  # only these pairs, if queued before: never the whole queue
        (int(a), int(b))
        for chunk in _chunks(keys)
        for a, b in session.execute(
            select(ReviewItem.record_id_l, ReviewItem.record_id_r).where(_pair_in(chunk))
        )
    }
    fresh = 0
    for pair in pairs:
        key = _key(pair)
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


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def bind_pairs(
    *,
    session: Session,
    must: list[tuple[int, int]],
    cannot: list[tuple[int, int]],
    decided_by: str,
    note: str,
) -> list[dict[str, Any]]:
    """Decide record pairs as an operator does (must-link, cannot-link), binding later builds.

    Each pair gets a decided review item, new or overriding an earlier decision; the returned
    list says what each item was, for `unbind_pairs` to restore it exactly.
    """
    wanted = {_pair(a, b): REVIEW_MATCH for a, b in must}
    wanted.update({_pair(a, b): REVIEW_NON_MATCH for a, b in cannot})
    if not wanted:
        return []
    found = {
        (i.record_id_l, i.record_id_r): i
        for chunk in _chunks(list(wanted))
        for i in session.scalars(select(ReviewItem).where(_pair_in(chunk)))
    }
    restore: list[dict[str, Any]] = []
    now = utcnow()
    for (left, right), status in wanted.items():
        item = found.get((left, right))
        if item is None:
            item = ReviewItem(
                record_id_l=left, record_id_r=right, match_weight=0.0, evidence={"operator": note}
            )
            session.add(item)
            session.flush()
            restore.append({"id": item.id, "created": True})
        else:
            restore.append(
                {
                    "id": item.id,
                    "created": False,
                    "status": item.status,
                    "decided_by": item.decided_by,
                    "decided_at": item.decided_at.isoformat() if item.decided_at else None,
                    "note": item.note,
                }
            )
        item.status, item.decided_by, item.decided_at, item.note = status, decided_by, now, note
    return restore


def unbind_pairs(*, session: Session, restore: list[dict[str, Any]]) -> None:
    """Put back the review items `bind_pairs` created or overrode, as they were."""
    from datetime import datetime

    for entry in restore:
        item = session.get(ReviewItem, entry["id"])
        if item is None:
            continue
        if entry["created"]:
            session.delete(item)
            continue
        item.status, item.decided_by, item.note = entry["status"], entry["decided_by"], entry["note"]
        item.decided_at = datetime.fromisoformat(entry["decided_at"]) if entry["decided_at"] else None
    session.flush()


def _chunks(pairs: list[tuple[int, int]], size: int = 500) -> list[list[tuple[int, int]]]:
    return [pairs[i : i + size] for i in range(0, len(pairs), size)]


def _pair_in(pairs: list[tuple[int, int]]) -> Any:
    from sqlalchemy import tuple_

    return tuple_(ReviewItem.record_id_l, ReviewItem.record_id_r).in_(pairs)
