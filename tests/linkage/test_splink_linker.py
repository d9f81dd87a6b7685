"""The probabilistic linker end to end: quality, stable UINs, review decisions kept."""

import csv
import logging
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from splink import Linker
from sqlalchemy import Engine, select

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage.clusters import COMPACT_PAIRS_SQL, cluster_pairs, reachable_pairs
from sijill.linkage.models import ReviewItem
from sijill.linkage.review import decide_review, queue_for_review
from sijill.linkage.service import latest_model
from sijill.linkage.splink_linker import SplinkLinker, clusterable_pairs
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


def test_the_pairs_brought_to_clustering_give_the_clusters_of_all_pairs(
    built: tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]],
) -> None:
    """Only pairs within a component of the joinable edges, or at the review weight and up,
    leave DuckDB (`clusterable_pairs`): the clusters, methods, scores and review queue are
    those of all the pairs, with the model's thresholds and with looser ones, with and
    without a reviewer's must-link (one of them across a refused pair, which puts that pair
    within a component)."""
    _, frame, settings = built
    linker_of = SplinkLinker(model=settings)
    table = linker_of._input_table(frame)
    linker = Linker(table, linker_of._saved_settings(), log_level=logging.ERROR)
    sql = COMPACT_PAIRS_SQL.format(table=linker.inference.predict().physical_name)
    everything = linker.misc.query_sql(sql, output_type="pandas")
    ids = frame["record_id"].tolist()
    model_thresholds = linker_of._thresholds(frame, linker, table)
    looser = replace(model_thresholds, link=model_thresholds.link - 3, review=model_thresholds.review - 3)
    # Loose enough that components hold refused pairs which decide joins (a test of the
    # pairs within components, not only of those above the review weight).
    loosest = replace(model_thresholds, link=0.5, review=0.25)
    refused_rows = everything[everything["guarded"].astype(bool) | (everything["match_weight"] < 0)]
    refused_pair = (int(refused_rows["record_id_l"].iloc[0]), int(refused_rows["record_id_r"].iloc[0]))
    within = 0
    for thresholds in (model_thresholds, looser, loosest):
        for must_link in ([], [(ids[0], ids[-1])], [refused_pair]):
            some, candidates = clusterable_pairs(linker, sql, thresholds, must_link)
            assert candidates == len(everything) and 0 < len(some) < len(everything)
            # The pairs are those the Python rules name: within a component, or not refused
            # and at the review weight or above.
            left = everything["record_id_l"].to_numpy(dtype="int64")
            right = everything["record_id_r"].to_numpy(dtype="int64")
            weights = everything["match_weight"].to_numpy(dtype="float64")
            refused = everything["guarded"].to_numpy(dtype=bool) | (weights < 0)
            joinable = ~refused & (weights >= thresholds.link)
            named = reachable_pairs(left, right, joinable, must_link) | (
                ~refused & (weights >= thresholds.review)
            )
            expected = set(zip(left[named].tolist(), right[named].tolist(), strict=True))
            got = set(zip(some["record_id_l"].tolist(), some["record_id_r"].tolist(), strict=True))
            assert got == expected
            within += int((reachable_pairs(left, right, joinable, must_link) & refused).sum())
            results = [
                cluster_pairs(frame, pairs, thresholds, must_link=must_link, cannot_link=[(ids[1], ids[2])])
                for pairs in (everything, some)
            ]
            a, b = results
            assert (a.cluster_of, a.method_of, a.score_of, a.review_pairs) == (
                b.cluster_of,
                b.method_of,
                b.score_of,
                b.review_pairs,
            )
    assert within > 0  # refused pairs within a component were there to be kept
