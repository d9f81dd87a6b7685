"""A reviewer's decision reaches the register at once and binds every later build."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from sijill.db.engine import session_scope
from sijill.errors import ReviewConflict
from sijill.history import events_of
from sijill.linkage import ReviewItem
from sijill.linkage.splink_linker import SplinkLinker
from sijill.outbox import read_events
from sijill.register import PERSON_MERGED, Link, Person, get_person_by_uin, run_build, settle_review
from sijill.register.person_versions import person_history
from sijill.sources import SourceRecord

TODAY = date(2026, 1, 1)


def _build(engine: Engine, sources: Path, *, retrain: bool = False) -> None:
    run_build(engine=engine, sources_dir=sources, linker=SplinkLinker(), today=TODAY, retrain=retrain)


def _persons(engine: Engine) -> dict[int, int]:
    with session_scope(engine) as session:
        return {r: p for r, p in session.execute(select(Link.source_record_id, Link.person_id))}


def _first_item(engine: Engine) -> ReviewItem:
    with session_scope(engine) as session:
        item = session.scalars(select(ReviewItem).order_by(ReviewItem.id)).first()
    if item is None:
        pytest.skip("no uncertain pair in this population")
    return item


def test_a_link_merges_the_two_persons_now_and_survives_a_rebuild(
    engine: Engine, small_sources: Path
) -> None:
    _build(engine, small_sources)
    item = _first_item(engine)
    before = _persons(engine)
    older, younger = sorted((before[item.record_id_l], before[item.record_id_r]))
    with session_scope(engine) as session:
        outcome = settle_review(session=session, item_id=item.id, decision="match", reviewer="amina")
        absorbed = session.get(Person, younger)
        assert absorbed is not None and absorbed.status == PERSON_MERGED and absorbed.merged_into == older
        survivor = get_person_by_uin(session=session, uin=outcome.absorbed_uins[0])
        assert survivor is not None and survivor.id == older and survivor.uin == outcome.survivor_uin
        actions = [e.action for e in events_of(session=session, entity="person", entity_id=older)]
        assert "review_linked" in actions
        merged = events_of(session=session, entity="person", entity_id=younger)[-1]
        assert merged.action == "merged" and merged.detail["by"] == "amina"
        announced = [
            e for e in read_events(session, kinds=["merge"]) if e.payload["reason"] == "review_linked"
        ]
        assert [(e.uin, e.payload["absorbed_uin"]) for e in announced] == [
            (outcome.survivor_uin, outcome.absorbed_uins[0])
        ]
        version = person_history(session, uin=outcome.absorbed_uins[0])[-1]
        assert (version.changed_by, version.attributes["status"]) == ("amina", PERSON_MERGED)
        stmt = (
            select(SourceRecord.source, SourceRecord.source_id)
            .join(Link, Link.source_record_id == SourceRecord.id)
            .where(Link.person_id == older)
        )
        held = {(source, source_id) for source, source_id in session.execute(stmt)}
        origins = {(o["source"], o["source_id"]) for o in survivor.provenance.values()}
        assert origins and origins <= held  # golden attributes recomputed over both persons' records
    after = _persons(engine)
    assert after[item.record_id_l] == after[item.record_id_r] == older
    _build(engine, small_sources, retrain=True)
    rebuilt = _persons(engine)
    assert rebuilt[item.record_id_l] == rebuilt[item.record_id_r] == older
    with session_scope(engine) as session:
        person = get_person_by_uin(session=session, uin=str(outcome.survivor_uin))
        assert person is not None and person.id == older


def test_keeping_apart_is_in_the_history_and_survives_a_rebuild(engine: Engine, small_sources: Path) -> None:
    _build(engine, small_sources)
    item = _first_item(engine)
    with session_scope(engine) as session:
        outcome = settle_review(session=session, item_id=item.id, decision="non_match", reviewer="amina")
        for person_id in outcome.person_ids:
            last = events_of(session=session, entity="person", entity_id=person_id)[-1]
            assert last.action == "review_kept_apart" and last.detail["review_item"] == item.id
    _build(engine, small_sources, retrain=True)
    rebuilt = _persons(engine)
    assert rebuilt[item.record_id_l] != rebuilt[item.record_id_r]


def test_a_pair_is_never_decided_twice(engine: Engine, small_sources: Path) -> None:
    _build(engine, small_sources)
    item = _first_item(engine)
    with session_scope(engine) as session:
        settle_review(session=session, item_id=item.id, decision="non_match", reviewer="amina")
    with pytest.raises(ReviewConflict, match="already decided"), session_scope(engine) as session:
        settle_review(session=session, item_id=item.id, decision="match", reviewer="karim")


def test_a_link_writes_a_new_version_of_both_persons_by_the_reviewer(
    engine: Engine, small_sources: Path
) -> None:
    from sijill.register.person_versions import person_history

    _build(engine, small_sources)
    item = _first_item(engine)
    with session_scope(engine) as session:
        outcome = settle_review(session=session, item_id=item.id, decision="match", reviewer="amina")
    with session_scope(engine) as session:
        survivor = person_history(session, uin=outcome.survivor_uin or "")
        absorbed = person_history(session, uin=outcome.absorbed_uins[0])
    for versions in (survivor, absorbed):
        assert [v.version for v in versions] == [1, 2]
        assert (
            versions[-1].changed_by == "amina"
            and versions[-1].reason == "review_linked"
            and versions[-1].source == f"review:{item.id}"
        )
        assert versions[0].valid_to is not None and versions[-1].valid_to is None
    assert absorbed[-1].attributes["status"] == PERSON_MERGED
    assert absorbed[-1].attributes["merged_into"] == survivor[-1].person_id
