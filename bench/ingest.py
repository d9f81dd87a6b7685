"""Benchmark ingestion into the register: rows/s on SQLite and on PostgreSQL.

First, the reading of each extract into DuckDB's staging table: in bulk (one DuckDB scan, for a
file without a double quote) against its anchor, the line-by-line reader every file used to
take (`reader.read_chunks`), same file, same run, with the ratio.

uv run python bench/ingest.py --persons 50000
uv run python bench/ingest.py --sources path/to/sources   # a given directory
"""

import argparse
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage.deterministic import DeterministicLinker
from sijill.register.flows import link_and_assign
from sijill.sources.reader import find_extracts
from sijill.sources.service import ingest_extract
from sijill.synth import generate

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_database() -> str:
    name = f"sijill_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    return name


def _drop_pg(name: str) -> None:
    with create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def measure_staging(sources: Path) -> None:
    """Print, per extract, rows/s staged in bulk and line by line, and the ratio."""
    import dataclasses

    from sijill.sources.staging import duckdb_connection, stage_extract

    for extract in find_extracts(sources):
        seconds = {}
        for way, quoted in (("bulk", extract.quoted), ("line by line", True)):
            con = duckdb_connection()
            start = time.perf_counter()
            staged = stage_extract(con, dataclasses.replace(extract, quoted=quoted), chunk_size=20_000)
            seconds[way] = time.perf_counter() - start
            con.close()
        rows = staged.rows
        bulk, lines = seconds["bulk"], seconds["line by line"]
        print(
            f"staging {extract.path.name:<11} {rows:>9,} rows: bulk {rows / bulk:>9,.0f} rows/s, "
            f"line by line {rows / lines:>9,.0f} rows/s, ratio {lines / bulk:.1f}x"
            + ("" if not extract.quoted else " (quoted: line by line both ways)")
        )


def measure(url: str, sources: Path) -> tuple[int, float, float]:
    """Return rows read, ingest seconds, and link-and-assign seconds (deterministic)."""
    engine = create_engine_for(url)
    migrate(engine)
    extracts = find_extracts(sources)
    rows = 0
    with session_scope(engine) as session:
        start = time.perf_counter()
        for extract in extracts:
            rows += ingest_extract(
                session=session, extract=extract, build_id=None, today=date(2026, 1, 1)
            ).read
        ingest = time.perf_counter() - start
        start = time.perf_counter()
        link_and_assign(session=session, linker=DeterministicLinker(), build_id=None)
        assign = time.perf_counter() - start
    engine.dispose()
    return rows, ingest, assign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=50_000)
    parser.add_argument("--sources", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sources = args.sources or Path(tmp) / "sources"
        if args.sources is None:
            generate(sources, persons=args.persons, seed=1)
        measure_staging(sources)
        results = {"SQLite": measure(f"sqlite:///{Path(tmp) / 'bench.db'}", sources)}
        name = _pg_database()
        try:
            results["PostgreSQL"] = measure(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", sources)
        finally:
            _drop_pg(name)
    for backend, (rows, ingest, assign) in results.items():
        print(
            f"{backend:<11} {rows:,} rows: ingest {ingest:.1f} s = {rows / ingest:,.0f} rows/s; "
            f"with deterministic linking and UINs {ingest + assign:.1f} s = "
            f"{rows / (ingest + assign):,.0f} rows/s"
        )
    sq, pg = results["SQLite"], results["PostgreSQL"]
    print(f"PostgreSQL / SQLite ingest rate: {(pg[0] / pg[1]) / (sq[0] / sq[1]):.2f}")


if __name__ == "__main__":
    main()
