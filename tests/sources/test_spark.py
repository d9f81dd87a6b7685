"""Ingestion on Spark keeps the records, reasons and flags that ingestion on DuckDB keeps."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.sources.models import SourceRecord
from sijill.sources.reader import find_extracts
from sijill.sources.service import ingest_extract

pytest.importorskip("pyspark")
TODAY = date(2026, 1, 1)
_COMPARED = [
    c.name for c in SourceRecord.__table__.columns if c.name not in ("id", "batch_id", "raw", "previous_id")
]


def _records(engine: Engine, sources: Path, compute: str) -> list[tuple[object, ...]]:
    with session_scope(engine) as session:
        for extract in find_extracts(sources):
            ingest_extract(session=session, extract=extract, build_id=None, today=TODAY, engine=compute)
    with session_scope(engine) as session:
        rows = session.execute(select(*(getattr(SourceRecord, c) for c in _COMPARED), SourceRecord.raw)).all()
    return sorted(((*r[:-1], sorted(r[-1].items())) for r in rows), key=repr)


@pytest.mark.slow
def test_spark_and_duckdb_ingest_every_row_alike(small_sources: Path, tmp_path: Path) -> None:
    engines = {}
    for compute in ("duckdb", "spark"):
        engines[compute] = create_engine_for(f"sqlite:///{tmp_path / f'{compute}.db'}")
        migrate(engines[compute])
    duck = _records(engines["duckdb"], small_sources, "duckdb")
    spark = _records(engines["spark"], small_sources, "spark")
    assert len(duck) > 1000 and spark == duck
