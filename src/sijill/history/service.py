"""Write and read the history: the one writer of the `history` table."""

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert_tuples, db_timestamp
from sijill.history.models import HistoryEvent

_COLUMNS = ["at", "build_id", "entity", "entity_id", "action", "detail"]


def record_events(*, session: Session, build_id: int | None, events: Sequence[dict[str, Any]]) -> int:
    """Append events (`entity`, `entity_id`, `action`, `detail`) in bulk; return how many.

    Each event may carry its own `at`; otherwise all share the current time.
    """
    if not events:
        return 0
    now = db_timestamp(session, utcnow())
    rows = [
        (
            db_timestamp(session, e["at"]) if e.get("at") else now,
            build_id,
            e["entity"],
            str(e["entity_id"]),
            e["action"],
            orjson.dumps(e.get("detail") or {}).decode(),
        )
        for e in events
    ]
    return bulk_insert_tuples(session, HistoryEvent.__table__, _COLUMNS, rows)


def events_of(*, session: Session, entity: str, entity_id: str | int) -> list[HistoryEvent]:
    """Return the events of one entity, oldest first."""
    stmt = (
        select(HistoryEvent)
        .where(HistoryEvent.entity == entity, HistoryEvent.entity_id == str(entity_id))
        .order_by(HistoryEvent.id)
    )
    return list(session.scalars(stmt))
