"""The probabilistic linker end to end: quality, stable UINs, review decisions kept."""

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage.models import ReviewItem
from sijill.linkage.review import decide_review, queue_for_review
from sijill.linkage.service import latest_model
from sijill.linkage.splink_linker import SplinkLinker
from sijill.linkage.training import weights_problems
from sijill.register.flows import run_build
from sijill.register.models import Link
from sijill.register.service import export_crosswalk
from sijill.reports.evaluation import evaluate
from sijill.sources.models import ACCEPTED, SourceRecord

TODAY = date(2026, 1, 1)


def _build(engine: Engine, sources: Path, **kw: object) -> object:
    return run_build(engine=engine, sources_dir=sources, linker=SplinkLinker(), today=TODAY, **kw)  # type: ignore[arg-type]


def _crosswalk(engine: Engine, out: Path) -> dict[tuple[str, str], str]:
    with session_scope(engine) as session:
        export_crosswalk(session=session, out=out)
    with out.open(encoding="utf-8") as f:
        return {(r["source"], r["source_id"]): r["uin"] for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def medium_register(medium_sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    url = f"sqlite:///{tmp_path_factory.mktemp('medium') / 'register.db'}"
    engine = create_engine_for(url)
    migrate(engine)
    _build(engine, medium_sources)
    return engine


def test_precision_and_recall_meet_the_goals(medium_register: Engine, medium_sources: Path) -> None:
    with session_scope(medium_register) as session:
        result = evaluate(session=session, truth_path=medium_sources / "truth.csv")
    assert result.overall.precision >= 0.995
    assert result.overall.recall >= 0.97


def test_the_trained_model_is_kept_versioned_and_plausible(medium_register: Engine) -> None:
    with session_scope(medium_register) as session:
        model = latest_model(session=session)
        assert model is not None and model.version == 1
        assert model.training["label_pairs"] > 100
        assert weights_problems(model.settings) == []


def test_a_rebuild_keeps_every_uin_and_reuses_the_model(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    _build(engine, small_sources)
    first = _crosswalk(engine, tmp_path / "a.csv")
    summary = _build(engine, small_sources)
    assert _crosswalk(engine, tmp_path / "b.csv") == first
    assert "reused" in summary.linkage["model_version"]  # type: ignore[attr-defined]


def test_review_decisions_are_kept_on_later_builds(
    engine: Engine, small_sources: Path, tmp_path: Path
) -> None:
    _build(engine, small_sources)
    with session_scope(engine) as session:
        items = session.scalars(select(ReviewItem)).all()
        if not items:
            pytest.skip("no uncertain pair in this population")
        item = items[0]
        decide_review(session=session, item_id=item.id, decision="match", reviewer="test")
        pair = (item.record_id_l, item.record_id_r)
    _build(engine, small_sources)
    with session_scope(engine) as session:
        persons = {r: p for r, p in session.execute(select(Link.source_record_id, Link.person_id))}
        assert persons[pair[0]] == persons[pair[1]]
        decide_review(session=session, item_id=item.id, decision="non_match", reviewer="test")
    _build(engine, small_sources)
    with session_scope(engine) as session:
        persons = {r: p for r, p in session.execute(select(Link.source_record_id, Link.person_id))}
        assert persons[pair[0]] != persons[pair[1]]


def _twin_records(engine: Engine, sources: Path) -> tuple[int, int]:
    """Return the ids of two records of two twin siblings, one of each, in one registry."""
    with (sources / "persons.csv").open(encoding="utf-8") as f:
        twins = [r for r in csv.DictReader(f) if r["twin"] == "1"]
    siblings: dict[tuple[str, str], list[str]] = {}
    for person in twins:
        siblings.setdefault((person["household_id"], person["birth_date"]), []).append(person["person_id"])
    with (sources / "truth.csv").open(encoding="utf-8") as f:
        record_of = {(r["person_id"], r["source"]): r["source_id"] for r in csv.DictReader(f)}
    pairs = [
        (source, record_of[(a, source)], record_of[(b, source)])
        for a, b, *_ in siblings.values()
        for source in ("civil", "cnie", "massar", "cnss", "ramed")
        if (a, source) in record_of and (b, source) in record_of
    ]
    with session_scope(engine) as session:
        ids = {
            (s, sid): rid
            for rid, s, sid in session.execute(
                select(SourceRecord.id, SourceRecord.source, SourceRecord.source_id).where(
                    SourceRecord.status == ACCEPTED
                )
            )
        }
    source, left, right = next(p for p in pairs if (p[0], p[1]) in ids and (p[0], p[2]) in ids)
    return ids[(source, left)], ids[(source, right)]


def test_a_reviewers_must_link_joins_what_the_twins_guard_keeps_apart(
    engine: Engine, small_sources: Path
) -> None:
    _build(engine, small_sources)
    left, right = _twin_records(engine, small_sources)
    with session_scope(engine) as session:
        persons = {r: p for r, p in session.execute(select(Link.source_record_id, Link.person_id))}
        assert persons[left] != persons[right]
        queue_for_review(
            session=session, pairs=[{"record_id_l": left, "record_id_r": right, "match_weight": 0.0}]
        )
        item = session.scalars(select(ReviewItem).where(ReviewItem.record_id_l == min(left, right))).one()
        decide_review(session=session, item_id=item.id, decision="match", reviewer="test")
    _build(engine, small_sources)
    with session_scope(engine) as session:
        persons = {r: p for r, p in session.execute(select(Link.source_record_id, Link.person_id))}
        assert persons[left] == persons[right]
