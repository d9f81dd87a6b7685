"""Publish and read the outbox: the one writer of `outbox_event` and `outbox_subscriber`.

An event is written in the transaction of the change it announces, so it exists if and only
if that change committed. Subscribers read by id, after their cursor, and move the cursor
forward only when they acknowledge: delivery is at least once, in order, and a subscriber that
acknowledges what it has handled neither loses nor sees twice an event across restarts.

Why readers never skip an event: ids come from a sequence, so a transaction that takes id 7
and commits after another took id 8 would let a reader see 8, move its cursor past 7 and
never see 7. `publish` therefore takes the register-wide writer lock (`sijill.db.locks`; it
is re-entrant, so a caller already in `writer_session` pays nothing) before it takes an id, and
holds it to commit: transactions that publish take ids one after the other, in commit order,
and any snapshot a reader takes holds every id below the highest it sees. A rolled-back
transaction leaves a gap, which readers simply pass: ids are ordered, not dense. On SQLite
the database's single writer gives the same order. Reading and acknowledging take no lock, so
a subscriber never waits for a build.
"""

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert_tuples, db_timestamp
from sijill.db.locks import acquire_writer_lock
from sijill.errors import EventRefused, NotFound, UsageError
from sijill.outbox.models import EVENT_KINDS, OutboxEvent, OutboxSubscriber

# Keys a payload may never carry: an event says what happened to which UIN, not who it is.
PERSONAL_KEYS = frozenset(
    {"family_ar", "given_ar", "family_lat", "given_lat", "name", "names", "birth_date", "sex", "address"}
)
MAX_READ = 10_000
_COLUMNS = ["at", "kind", "uin", "payload", "build_id"]


def _check_payload(kind: str, payload: Mapping[str, Any]) -> None:
    if kind not in EVENT_KINDS:
        raise UsageError(f"unknown outbox event kind {kind!r}: use one of {', '.join(EVENT_KINDS)}")
    personal = sorted(PERSONAL_KEYS & payload.keys())
    if personal:
        raise UsageError(f"an outbox payload carries no personal data: drop {', '.join(personal)}")


def publish(
    session: Session, *, kind: str, uin: str | None, payload: Mapping[str, Any], build_id: int | None = None
) -> int:
    """Append an event in the caller's transaction and return its sequence id.

    Example:
        >>> publish(session, kind="death", uin="2345678901", payload={"date": "2026-11-30"})
        42
    """
    _check_payload(kind, payload)
    from sijill.settings import get_settings

    acquire_writer_lock(session.connection(), wait_seconds=get_settings().lock_wait_seconds)
    event = OutboxEvent(at=utcnow(), kind=kind, uin=uin, payload=dict(payload), build_id=build_id)
    session.add(event)
    session.flush()
    return event.id


def publish_many(
    session: Session,
    *,
    events: Sequence[tuple[str, str | None, Mapping[str, Any]]],
    build_id: int | None = None,
) -> int:
    """Append many events (kind, UIN, payload) in bulk, in the given order; return how many.

    For builds that announce thousands of new persons or links at once: one COPY on PostgreSQL.
    """
    if not events:
        return 0
    for kind, _, payload in events:
        _check_payload(kind, payload)
    from sijill.settings import get_settings

    acquire_writer_lock(session.connection(), wait_seconds=get_settings().lock_wait_seconds)
    now = db_timestamp(session, utcnow())
    rows = [(now, kind, uin, orjson.dumps(dict(payload)).decode(), build_id) for kind, uin, payload in events]
    return bulk_insert_tuples(session, OutboxEvent.__table__, _COLUMNS, rows)


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_READ:
        raise UsageError(f"limit must be between 1 and {MAX_READ}; got {limit}")
    return limit


def read_events(
    session: Session,
    *,
    after: int = 0,
    limit: int = 100,
    kinds: Sequence[str] | None = None,
    exclude: Collection[str] = (),
) -> list[OutboxEvent]:
    """Return up to `limit` events with an id above `after`, in sequence order.

    `exclude` leaves kinds out (an agency's feed leaves out `PRIVATE_KINDS`).
    """
    stmt = select(OutboxEvent).where(OutboxEvent.id > after).order_by(OutboxEvent.id).limit(_limit(limit))
    if kinds:
        stmt = stmt.where(OutboxEvent.kind.in_(list(kinds)))
    if exclude:
        stmt = stmt.where(OutboxEvent.kind.not_in(sorted(exclude)))
    return list(session.scalars(stmt))


def last_event_id(session: Session) -> int:
    """Return the id of the latest published event, 0 when none."""
    return int(session.scalar(select(func.coalesce(func.max(OutboxEvent.id), 0))) or 0)


def subscribe(session: Session, *, name: str, from_latest: bool = False) -> OutboxSubscriber:
    """Return the subscriber of this name, creating it (reading from the first event) if new.

    With `from_latest`, a new subscriber starts after the latest event instead. An existing
    subscriber is returned unchanged: subscribing again never moves a cursor.
    """
    if not name or len(name) > 64:
        raise UsageError("a subscriber's name has 1 to 64 characters")
    found = session.get(OutboxSubscriber, name)
    if found is not None:
        return found
    start = last_event_id(session) if from_latest else 0
    subscriber = OutboxSubscriber(name=name, position=start, created_at=utcnow())
    session.add(subscriber)
    session.flush()
    return subscriber


def subscriber_position(session: Session, *, subscriber: str) -> int:
    """Return the id of the last event this subscriber acknowledged."""
    position = session.scalar(select(OutboxSubscriber.position).where(OutboxSubscriber.name == subscriber))
    if position is None:
        raise NotFound(f"no outbox subscriber {subscriber!r}: subscribe it first")
    return int(position)


def consume(
    session: Session, *, subscriber: str, limit: int = 100, kinds: Sequence[str] | None = None
) -> list[OutboxEvent]:
    """Return the next events after the subscriber's cursor, in order; the cursor does not move.

    Until `ack`, the same events come back again (after a crash, say): at-least-once delivery.
    """
    after = subscriber_position(session, subscriber=subscriber)
    return read_events(session, after=after, limit=limit, kinds=kinds)


def ack(session: Session, *, subscriber: str, up_to: int) -> int:
    """Acknowledge every event up to id `up_to`; return the cursor, which never moves back.

    Acknowledging an id at or below the cursor changes nothing; one above the latest event is
    refused, since an event published later would take an id below it and be skipped.
    """
    current = subscriber_position(session, subscriber=subscriber)
    if up_to <= current:
        return current
    latest = last_event_id(session)
    if up_to > latest:
        raise EventRefused(f"cannot acknowledge event {up_to}: the latest event is {latest}")
    session.execute(
        update(OutboxSubscriber)
        .where(OutboxSubscriber.name == subscriber, OutboxSubscriber.position < up_to)
        .values(position=up_to, acked_at=utcnow())
    )
    return subscriber_position(session, subscriber=subscriber)
