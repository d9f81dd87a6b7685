"""`sijill build --engine spark` gives the persons the DuckDB build gives, ingestion included."""

from datetime import date
from pathlib import Path

import pytest

from sijill.db.engine import create_engine_for, migrate
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import run_build
from tests.register.test_determinism import partition

pytest.importorskip("pyspark")


@pytest.mark.slow
def test_the_whole_build_on_spark_gives_the_persons_of_the_duckdb_build(
    small_sources: Path, tmp_path: Path
) -> None:
    persons = {}
    for compute in ("duckdb", "spark"):
        engine = create_engine_for(f"sqlite:///{tmp_path / f'{compute}.db'}")
        migrate(engine)
        run_build(
            engine=engine,
            sources_dir=small_sources,
            linker=SplinkLinker(backend=compute),
            compute=compute,
            today=date(2026, 1, 1),
        )
        persons[compute] = partition(engine)
        engine.dispose()
    assert len(persons["duckdb"]) > 100 and persons["spark"] == persons["duckdb"]
