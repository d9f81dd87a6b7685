"""Spark gives the same persons as DuckDB, with the same model on the same records."""

from datetime import date
from pathlib import Path

import pytest

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage.deterministic import DeterministicLinker
from sijill.linkage.features import load_records
from sijill.linkage.spellings import learn_spellings
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import run_build

pytest.importorskip("pyspark")


def _partition(cluster_of: dict[int, int]) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for record, cluster in cluster_of.items():
        groups.setdefault(cluster, []).append(record)
    return sorted(sorted(g) for g in groups.values())


@pytest.mark.slow
def test_spark_and_duckdb_give_the_same_persons(small_sources: Path, tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(engine)
    run_build(
        engine=engine,
        sources_dir=small_sources,
        linker=DeterministicLinker(),
        today=date(2026, 1, 1),
    )
    with session_scope(engine) as session:
        spellings = learn_spellings(session=session)
        records = load_records(session=session)
    duck = SplinkLinker(backend="duckdb").link(records, spellings=spellings, must_link=[], cannot_link=[])
    assert duck.model is not None
    spark = SplinkLinker(backend="spark", model=duck.model.settings).link(
        records, spellings=spellings, must_link=[], cannot_link=[]
    )
    assert _partition(spark.cluster_of) == _partition(duck.cluster_of)
    assert len(_partition(duck.cluster_of)) < len(records)
