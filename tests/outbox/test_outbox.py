"""The outbox: events exist iff their change committed, in order, read once per subscriber."""

import multiprocessing
import random
import time

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sijill.db.engine import create_engine_for, session_scope
from sijill.db.locks import writer_session
from sijill.errors import EventRefused, NotFound, UsageError
from sijill.outbox import ack, consume, publish, publish_many, read_events, subscribe, subscriber_position

UIN = "2345678901"


def _publish(engine: Engine, count: int, kind: str = "death") -> list[int]:
    with writer_session(engine) as session:
        return [publish(session, kind=kind, uin=UIN, payload={"n": i}) for i in range(count)]


def test_published_events_come_back_in_sequence_order(engine: Engine) -> None:
    ids = _publish(engine, 3) + _publish(engine, 2, kind="birth")
    with session_scope(engine) as session:
        events = read_events(session)
        births = read_events(session, kinds=["birth"])
        tail = read_events(session, after=ids[2], limit=1)
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert [e.id for e in events] == ids
    assert [e.payload for e in events[:3]] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [e.id for e in births] == ids[3:]
    assert [e.id for e in tail] == [ids[3]]


def test_an_event_of_a_rolled_back_change_does_not_exist(engine: Engine) -> None:
    with pytest.raises(RuntimeError), writer_session(engine) as session:
        publish(session, kind="death", uin=UIN, payload={})
        raise RuntimeError("the change fails after publishing")
    later = _publish(engine, 1)
    with session_scope(engine) as session:
        assert [e.id for e in read_events(session)] == later


def test_many_events_published_at_once_keep_their_order(engine: Engine) -> None:
    with writer_session(engine) as session:
        count = publish_many(
            session, events=[("new_person", f"23456789{i:02d}", {"i": i}) for i in range(50)]
        )
    with session_scope(engine) as session:
        events = read_events(session, limit=100)
    assert count == 50
    assert [e.payload["i"] for e in events] == list(range(50))


def test_a_payload_with_personal_data_or_an_unknown_kind_is_refused(engine: Engine) -> None:
    with writer_session(engine) as session:
        with pytest.raises(UsageError, match="given_lat"):
            publish(session, kind="birth", uin=UIN, payload={"given_lat": "X"})
        with pytest.raises(UsageError, match="'wedding'"):
            publish(session, kind="wedding", uin=UIN, payload={})


def test_a_subscriber_sees_events_again_until_it_acknowledges_them(engine: Engine) -> None:
    ids = _publish(engine, 5)
    with session_scope(engine) as session:
        subscribe(session, name="cnss")
    with session_scope(engine) as session:
        first = [e.id for e in consume(session, subscriber="cnss", limit=3)]
        again = [e.id for e in consume(session, subscriber="cnss", limit=3)]
        ack(session, subscriber="cnss", up_to=first[-1])
    with session_scope(engine) as session:  # a restart: a new session finds the cursor
        rest = [e.id for e in consume(session, subscriber="cnss", limit=10)]
    assert first == again == ids[:3]
    assert rest == ids[3:]


def test_the_cursor_never_moves_back_nor_past_the_latest_event(engine: Engine) -> None:
    ids = _publish(engine, 3)
    with session_scope(engine) as session:
        subscribe(session, name="amo")
        assert ack(session, subscriber="amo", up_to=ids[2]) == ids[2]
        assert ack(session, subscriber="amo", up_to=ids[0]) == ids[2]
        with pytest.raises(EventRefused, match="latest event"):
            ack(session, subscriber="amo", up_to=ids[2] + 1)
        with pytest.raises(NotFound, match="'nobody'"):
            consume(session, subscriber="nobody", limit=1)


def test_subscribing_again_keeps_the_cursor_and_from_latest_skips_the_past(engine: Engine) -> None:
    ids = _publish(engine, 2)
    with session_scope(engine) as session:
        subscribe(session, name="a")
        ack(session, subscriber="a", up_to=ids[0])
        assert subscribe(session, name="a").position == ids[0]
        assert subscribe(session, name="b", from_latest=True).position == ids[1]
        assert consume(session, subscriber="b", limit=10) == []


def _write_events(url: str, writer: int, count: int) -> None:
    """Publish `count` events, one transaction each, holding some open to race the others."""
    engine = create_engine_for(url)
    rng = random.Random(writer)
    for i in range(count):
        # A plain session, not writer_session: publish itself must keep the order.
        with session_scope(engine) as session:
            publish(session, kind="death", uin=UIN, payload={"writer": writer, "i": i})
            time.sleep(rng.random() * 0.01)
    engine.dispose()


def _drain(session: Session, seen: list[tuple[int, int, int]]) -> int:
    events = consume(session, subscriber="agency", limit=7)
    seen.extend((e.id, e.payload["writer"], e.payload["i"]) for e in events)
    if events:
        ack(session, subscriber="agency", up_to=events[-1].id)
    return len(events)


def test_concurrent_writers_lose_no_event_and_a_reader_sees_each_once(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several writer processes at once: PostgreSQL")
    engine = create_engine_for(db_url)
    with session_scope(engine) as session:
        subscribe(session, name="agency")
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_events, args=(db_url, w, 25)) for w in range(4)]
    for p in writers:
        p.start()
    seen: list[tuple[int, int, int]] = []
    while any(p.is_alive() for p in writers):
        with session_scope(engine) as session:
            _drain(session, seen)
    for p in writers:
        p.join()
        assert p.exitcode == 0
    with session_scope(engine) as session:
        while _drain(session, seen):
            pass
        assert subscriber_position(session, subscriber="agency") == seen[-1][0]
    engine.dispose()
    assert [s[0] for s in seen] == sorted({s[0] for s in seen})  # in order, none twice
    assert sorted((w, i) for _, w, i in seen) == [(w, i) for w in range(4) for i in range(25)]
