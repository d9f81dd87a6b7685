"""Operators' merges and splits: audited, binding on later builds, undone exactly."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sijill.db.engine import session_scope
from sijill.db.locks import writer_session
from sijill.errors import EventRefused
from sijill.outbox import read_events
from sijill.register.events import record_death
from sijill.register.models import PERSON_DECEASED, PERSON_MERGED, Link, OperatorAction, Person
from sijill.register.operators import merge_persons, split_person, undo_action
from sijill.register.person_versions import STATE_FIELDS, person_history
from sijill.register.persons import records_of
from sijill.register.service import get_person_by_uin
from sijill.uin.models import Uin
from tests.register.test_history_versions import build


def _two_persons(engine: Engine) -> tuple[str, str]:
    with session_scope(engine) as session:
        stmt = select(Person.uin).where(Person.status == "active").order_by(Person.id).limit(2)
        first, second = session.scalars(stmt).all()
        return first, second


def _multi_record_person(engine: Engine) -> tuple[str, list[int]]:
    with session_scope(engine) as session:
        for person in session.scalars(select(Person).where(Person.status == "active").order_by(Person.id)):
            records = [r.id for r in records_of(session, person_id=person.id)]
            if len(records) >= 3:
                return person.uin, records
    raise AssertionError("no person with three records")


def _register_state(engine: Engine) -> dict[str, Any]:
    """Every person's state, every link and every UIN: what an undo must restore exactly."""
    with session_scope(engine) as session:
        persons = {
            p.id: (tuple(getattr(p, f) for f in STATE_FIELDS), dict(p.provenance or {}))
            for p in session.scalars(select(Person))
        }
        links = {r: p for r, p in session.execute(select(Link.source_record_id, Link.person_id))}
        uins = {u.uin: (u.person_id, u.status, u.alias_of) for u in session.scalars(select(Uin))}
    return {"persons": persons, "links": links, "uins": uins}


def _links_by_person(engine: Engine) -> set[frozenset[int]]:
    with session_scope(engine) as session:
        groups: dict[int, set[int]] = {}
        for record, person in session.execute(select(Link.source_record_id, Link.person_id)):
            groups.setdefault(person, set()).add(record)
    return {frozenset(g) for g in groups.values()}


@pytest.fixture
def built(engine: Engine, small_sources: Path) -> Engine:
    build(engine, small_sources)
    return engine


def test_a_merge_makes_the_absorbed_uin_an_alias_of_the_survivor(built: Engine) -> None:
    survivor, absorbed = _two_persons(built)
    with writer_session(built) as session:
        done = merge_persons(session, survivor_uin=survivor, absorbed_uin=absorbed, reason="dup", by="op1")
    with session_scope(built) as session:
        person = get_person_by_uin(session=session, uin=absorbed)
        gone = session.scalar(select(Person).where(Person.uin == absorbed))
        action = session.get(OperatorAction, done.action_id)
        history = person_history(session, uin=absorbed)
        [event] = read_events(session)
    assert person is not None and person.uin == survivor
    assert gone is not None and gone.status == PERSON_MERGED and gone.merged_into == person.id
    assert action is not None and (action.kind, action.operator, action.reason) == ("merge", "op1", "dup")
    assert (history[-1].changed_by, history[-1].reason, history[-1].attributes["status"]) == (
        "op1",
        "dup",
        "merged",
    )
    assert (event.kind, event.uin, event.payload["absorbed_uin"]) == ("merge", survivor, absorbed)


def test_a_rebuild_keeps_an_operators_merge(built: Engine, small_sources: Path) -> None:
    survivor, absorbed = _two_persons(built)
    with writer_session(built) as session:
        merge_persons(session, survivor_uin=survivor, absorbed_uin=absorbed, reason="dup", by="op1")
    before = _links_by_person(built)
    build(built, small_sources)
    assert _links_by_person(built) == before


def test_undoing_a_merge_restores_the_register_exactly(built: Engine) -> None:
    survivor, absorbed = _two_persons(built)
    before = _register_state(built)
    with writer_session(built) as session:
        done = merge_persons(session, survivor_uin=survivor, absorbed_uin=absorbed, reason="dup", by="op1")
    with writer_session(built) as session:
        undone = undo_action(session, action_id=done.action_id, reason="wrong-pair", by="op2")
    assert _register_state(built) == before
    with writer_session(built) as session:
        with pytest.raises(EventRefused, match="already undone"):
            undo_action(session, action_id=done.action_id, reason="again", by="op2")
        with pytest.raises(EventRefused, match="an undo is not undone"):
            undo_action(session, action_id=undone.action_id, reason="again", by="op2")
    with session_scope(built) as session:
        kinds = [e.kind for e in read_events(session)]
        assert [v.reason for v in person_history(session, uin=absorbed)][-2:] == ["dup", "wrong-pair"]
    assert kinds == ["merge", "undo"]


def test_a_split_gives_the_records_a_new_person_that_a_rebuild_keeps(
    built: Engine, small_sources: Path
) -> None:
    uin, records = _multi_record_person(built)
    with writer_session(built) as session:
        done = split_person(session, uin=uin, record_ids=records[:1], reason="twins", by="op1")
    [new_uin] = done.uins
    with session_scope(built) as session:
        other = get_person_by_uin(session=session, uin=new_uin)
        assert other is not None and [r.id for r in records_of(session, person_id=other.id)] == records[:1]
        [event] = read_events(session)
    assert (event.kind, event.uin, event.payload["new_uin"]) == ("split", uin, new_uin)
    after = _links_by_person(built)
    build(built, small_sources)
    assert _links_by_person(built) == after


def test_undoing_a_split_restores_the_person_and_keeps_the_new_uin_as_an_alias(built: Engine) -> None:
    uin, records = _multi_record_person(built)
    before = _register_state(built)
    with writer_session(built) as session:
        done = split_person(session, uin=uin, record_ids=records[:1], reason="twins", by="op1")
    with writer_session(built) as session:
        undo_action(session, action_id=done.action_id, reason="not-twins", by="op2")
    after = _register_state(built)
    [new_uin] = done.uins
    assert after["links"] == before["links"]
    assert {k: v for k, v in after["persons"].items() if k in before["persons"]} == before["persons"]
    with session_scope(built) as session:
        person = get_person_by_uin(session=session, uin=new_uin)
        assert person is not None and person.uin == uin


def test_an_action_superseded_by_a_later_event_cannot_be_undone(built: Engine) -> None:
    survivor, absorbed = _two_persons(built)
    with writer_session(built) as session:
        done = merge_persons(session, survivor_uin=survivor, absorbed_uin=absorbed, reason="dup", by="op1")
    with writer_session(built) as session:
        record_death(session, uin=survivor, death_date="2026-11-29", by="clerk7")
    with writer_session(built) as session, pytest.raises(EventRefused, match="superseded"):
        undo_action(session, action_id=done.action_id, reason="late", by="op2")


def test_an_event_on_a_merged_uin_reaches_the_survivor(built: Engine) -> None:
    survivor, absorbed = _two_persons(built)
    with writer_session(built) as session:
        merge_persons(session, survivor_uin=survivor, absorbed_uin=absorbed, reason="dup", by="op1")
    with writer_session(built) as session:
        done = record_death(session, uin=absorbed, death_date="2026-11-29", by="clerk7")
    with session_scope(built) as session:
        person = get_person_by_uin(session=session, uin=survivor)
        events = read_events(session)
    assert (done.uin, done.resolved_from) == (survivor, absorbed)
    assert person is not None and person.status == PERSON_DECEASED
    assert (events[-1].kind, events[-1].uin, events[-1].payload["resolved_from"]) == (
        "death",
        survivor,
        absorbed,
    )


def test_the_state_before_a_merge_is_the_absorbed_persons_own_after_it_the_survivors(built: Engine) -> None:
    from datetime import UTC, datetime

    from sijill.register.person_versions import person_at

    survivor, absorbed = _two_persons(built)
    before = datetime.now(UTC)
    with writer_session(built) as session:
        merge_persons(session, survivor_uin=survivor, absorbed_uin=absorbed, reason="dup", by="op1")
    with session_scope(built) as session:
        then = person_at(session, uin=absorbed, at=before)
        now = person_at(session, uin=absorbed, at=datetime.now(UTC))
    assert then is not None and (then.uin, then.resolved_from, then.attributes["status"]) == (
        absorbed,
        None,
        "active",
    )
    assert now is not None and (now.uin, now.resolved_from) == (survivor, absorbed)
