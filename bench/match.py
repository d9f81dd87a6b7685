"""Benchmark online matching: one record against the register, ours and Splink's `predict_between`.

uv run python bench/match.py --db sqlite:////tmp/copy-of-register.db --sources /tmp/shared-1m/sources

Incoming records are half rows of the register's own extracts (a registry sending a record
again: the person is held) and half rows of a new population drawn from the same generator
with another seed (mostly new persons, with the generator's name frequencies). Both matchers
see the same records in the same run; Splink on a smaller sample (about a second a record at
1M). Prints p50/p95/p99 in ms, the ratio, and the index's memory per million persons.
"""

import argparse
import csv
import logging
import random
import resource
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from sijill.db.engine import create_engine_for, session_scope
from sijill.linkage import latest_model
from sijill.linkage.splink_linker import duckdb_api, typed_input
from sijill.register import Matcher
from sijill.register.models import PERSON_ACTIVE, Person
from sijill.sources import FORMATS
from sijill.synth import generate

SOURCES = tuple(FORMATS)
TODAY = date(2026, 1, 1)


def _rows(folder: Path, n: int, rng: random.Random) -> list[tuple[str, dict[str, str]]]:
    """Return n rows drawn evenly from the five extracts of a sources folder."""
    out: list[tuple[str, dict[str, str]]] = []
    for source in SOURCES:
        with (folder / f"{source}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        out += [(source, r) for r in rng.sample(rows, min(len(rows), n // len(SOURCES)))]
    return out


def _percentiles(ms: list[float]) -> tuple[float, float, float]:
    p50, p95, p99 = np.percentile(np.asarray(ms), [50, 95, 99])
    return float(p50), float(p95), float(p99)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _splink_linker(matcher: Matcher, settings: dict[str, Any]) -> tuple[Any, Any, list[str], Any]:
    """Return a Splink linker over the register's features, with its tf tables."""
    from splink import Linker

    index = matcher.index
    slots = np.asarray(index.live_slots(), dtype="int64")
    frame = pd.DataFrame({"record_id": index.record_ids[slots]})
    for column, (values, known) in index.features.items():
        if column in ("source_id", "given_ar", "given_lat"):
            continue
        if values.dtype.kind == "f":
            frame[column] = pd.array(np.where(known[slots], values[slots], np.nan), dtype="Float64").astype(
                "Int64"
            )
        else:
            frame[column] = values[slots]
    api = duckdb_api()
    table = api.register(typed_input(frame, api))
    linker = Linker(table, settings, log_level=logging.ERROR)
    for column in sorted(matcher.scorer.tf_columns):
        linker.table_management.compute_tf_table(column)
    return linker, api, list(frame.columns), table


def _splink_ms(
    linker: Any, api: Any, columns: list[str], register: Any, matcher: Matcher, rows: list[Any]
) -> list[tuple[float, float]]:
    """Time `predict_between` for each record against the whole register."""
    out = []
    for source, row in rows:
        incoming = matcher.parse(source, row)
        if isinstance(incoming, str):
            continue
        one = pd.DataFrame([{c: incoming.features.get(c) for c in columns}])
        start, cpu = time.perf_counter(), time.process_time()
        sdf = api.register(typed_input(one, api))
        linker.inference.predict_between(sdf, register).as_pandas_dataframe()
        out.append(((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a register with a trained Splink model (a copy)")
    parser.add_argument("--sources", type=Path, required=True, help="the sources it was built from")
    parser.add_argument("--n", type=int, default=1000, help="records matched by ours")
    parser.add_argument("--splink-n", type=int, default=30, help="records matched by Splink")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    engine = create_engine_for(args.db)
    rss = _rss_mb()
    start = time.perf_counter()
    with session_scope(engine) as session:
        matcher = Matcher.load(session, today=TODAY)
        model = latest_model(session=session)
        assert model is not None
        settings = model.settings
        # Counted by column: a register copied from an older schema still answers.
        persons = int(
            session.scalar(select(func.count(Person.id)).where(Person.status == PERSON_ACTIVE)) or 0
        )
    load_s = time.perf_counter() - start
    print(f"loaded {len(matcher.index):,} records of {persons:,} persons in {load_s:.1f} s")
    memory = matcher.index.memory_bytes()
    print(
        f"index memory: {memory / 2**20:,.0f} MiB estimated ({memory / 2**20 / persons * 1e6:,.0f} MiB per "
        f"million persons); process peak RSS grew {_rss_mb() - rss:,.0f} MiB while loading"
    )
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), persons=max(200, args.n // 3), seed=args.seed + 1000)
        fresh = _rows(Path(tmp), args.n // 2, rng)
    rows = _rows(args.sources, args.n - len(fresh), rng) + fresh
    rng.shuffle(rows)
    for source, row in rows[:20]:  # warm caches
        matcher.match(source, row)
    ours: list[float] = []
    ours_cpu: list[float] = []
    decisions: dict[str, int] = {}
    for source, row in rows:
        cpu = time.process_time()
        result = matcher.match(source, row)
        if result.decision != "invalid":
            ours.append(result.ms)
            ours_cpu.append((time.process_time() - cpu) * 1000)
        decisions[result.decision] = decisions.get(result.decision, 0) + 1
    p50, p95, p99 = _percentiles(ours)
    print(f"ours: {len(ours):,} records, p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms; {decisions}")
    c50, c95, c99 = _percentiles(ours_cpu)
    print(f"ours, CPU time: p50 {c50:.2f}, p95 {c95:.2f}, p99 {c99:.2f} ms")
    linker, api, columns, register = _splink_linker(matcher, settings)
    sample = rows[: args.splink_n]
    _splink_ms(linker, api, columns, register, matcher, sample[:2])  # warm up
    timed = _splink_ms(linker, api, columns, register, matcher, sample)
    theirs = [t for t, _ in timed]
    s50, s95, s99 = _percentiles(theirs)
    k50, k95, k99 = _percentiles([c for _, c in timed])
    print(
        f"splink predict_between: {len(theirs)} records, p50 {s50:.1f} ms, p95 {s95:.1f} ms, p99 {s99:.1f} ms"
    )
    print(f"splink, CPU time (all DuckDB threads): p50 {k50:.1f}, p95 {k95:.1f}, p99 {k99:.1f} ms")
    print(f"ratio (splink / ours), wall: p50 {s50 / p50:,.0f}x, p95 {s95 / p95:,.0f}x, p99 {s99 / p99:,.0f}x")
    print(f"ratio (splink / ours), CPU: p50 {k50 / c50:,.0f}x, p95 {k95 / c95:,.0f}x, p99 {k99 / c99:,.0f}x")


if __name__ == "__main__":
    main()
