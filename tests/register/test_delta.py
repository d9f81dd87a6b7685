"""Delta builds: a build on a held register links only what changed and touches only the
persons that reaches."""

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from sijill.db.engine import session_scope
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import BuildSummary, run_build
from sijill.register.models import Link, Person
from sijill.sources import ACCEPTED, SourceRecord
from sijill.synth.delta import write_earlier_extracts

TODAY = date(2026, 1, 1)


def _build(engine: Engine, sources: Path, **kw: Any) -> BuildSummary:
    return run_build(engine=engine, sources_dir=sources, linker=SplinkLinker(), today=TODAY, **kw)


def _persons(engine: Engine) -> dict[int, tuple[Any, ...]]:
    with session_scope(engine) as session:
        return {row[0]: tuple(row) for row in session.execute(select(*Person.__table__.columns))}


def _links(engine: Engine) -> dict[int, tuple[Any, ...]]:
    with session_scope(engine) as session:
        return {row[0]: tuple(row) for row in session.execute(select(*Link.__table__.columns))}


def _groups(engine: Engine) -> dict[int, frozenset[tuple[str, str]]]:
    """Return each person's accepted records, by (source, source id)."""
    stmt = (
        select(Link.person_id, SourceRecord.source, SourceRecord.source_id)
        .join(SourceRecord, SourceRecord.id == Link.source_record_id)
        .where(SourceRecord.status == ACCEPTED)
    )
    groups: dict[int, set[tuple[str, str]]] = {}
    with session_scope(engine) as session:
        for person, source, source_id in session.execute(stmt):
            groups.setdefault(person, set()).add((source, source_id))
    return {p: frozenset(g) for p, g in groups.items()}


@pytest.fixture(scope="module")
def earlier(small_sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small extracts without 30 persons and 40 records, and 40 rows misspelt."""
    out = tmp_path_factory.mktemp("earlier")
    write_earlier_extracts(small_sources, out, new_persons=30, new_records=40, changed=40, seed=2)
    return out


def _changed(before: Mapping[int, object], after: Mapping[int, object]) -> set[int]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def test_a_delta_build_touches_only_the_persons_it_reaches(
    engine: Engine, earlier: Path, small_sources: Path
) -> None:
    _build(engine, earlier)
    persons, links, groups = _persons(engine), _links(engine), _groups(engine)
    summary = _build(engine, small_sources)
    assert summary.linkage["mode"] == "delta"
    assert summary.linkage["delta"]["changed_records"] > 0
    changed_persons = _changed(persons, _persons(engine))
    a = summary.assignment
    assert len(changed_persons) == a.persons_touched
    assert a.persons_created >= 30 and a.persons_touched < len(persons) / 2
    moved = _changed(links, _links(engine))
    holders = {row[1] for k in moved for row in (links.get(k), _links(engine).get(k)) if row}
    assert holders <= changed_persons  # every link written belongs to a touched person
    untouched = set(persons) - changed_persons
    assert untouched and all(_groups(engine).get(p) == groups.get(p) for p in untouched)


def test_a_delta_build_gives_the_touched_persons_a_full_build_gives(
    engine: Engine, earlier: Path, small_sources: Path
) -> None:
    _build(engine, earlier)
    persons = _persons(engine)
    _build(engine, small_sources)
    touched = _changed(persons, _persons(engine))
    after_delta = _groups(engine)
    full = _build(engine, small_sources, full=True)
    assert full.linkage["mode"] == "full"
    # What the full relink changes is none of what the delta decided: it may only move
    # persons whose pairs the register-wide term frequencies carried across a threshold.
    assert not (_changed(after_delta, _groups(engine)) & touched)
    assert full.assignment.persons_touched <= 4


def test_a_build_of_the_same_extracts_links_nothing(engine: Engine, small_sources: Path) -> None:
    _build(engine, small_sources)
    persons, links = _persons(engine), _links(engine)
    summary = _build(engine, small_sources)
    assert summary.linkage["mode"] == "delta"
    assert summary.linkage["delta"]["changed_records"] == 0
    assert summary.assignment.persons_touched == 0
    assert _persons(engine) == persons and _links(engine) == links
