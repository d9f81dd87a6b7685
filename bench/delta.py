"""Benchmark a delta build against a full relink of the same register, in one run.

From a directory of generated extracts (the later state) it writes an earlier state
(`sijill.synth.delta`): without every row of some persons, without some rows of others, and
with a slip in some given names. It builds the register from the earlier state (a first
build, model trained), then times, on that register:

1. the delta build: `sijill build` of the later extracts (only new and changed rows linked);
2. the anchor: a full relink of the same extracts on the same register (`--full`), which
   also shows what the delta left for a full relink to change.

Each prints its stages, what it touched, and the ratio of the two.

    uv run python bench/delta.py --sources /tmp/shared-1m/sources --work /tmp/delta-bench
"""

import argparse
import json
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Any

from sijill.db.engine import create_engine_for
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import BuildSummary, run_build
from sijill.synth.delta import write_earlier_extracts

TODAY = date(2026, 1, 1)


def _timed_build(url: str, sources: Path, **kw: Any) -> tuple[float, BuildSummary]:
    engine = create_engine_for(url)
    start = time.perf_counter()
    summary = run_build(engine=engine, sources_dir=sources, linker=SplinkLinker(), today=TODAY, **kw)
    engine.dispose()
    return time.perf_counter() - start, summary


def _report(name: str, seconds: float, summary: BuildSummary) -> None:
    a, figures = summary.assignment, summary.linkage
    print(f"{name}: {seconds:.1f} s wall clock ({figures.get('mode')})")
    rows = sum(f.accepted for f in summary.files)
    print(f"  rows accepted {rows:,}, unchanged {sum(f.unchanged for f in summary.files):,}")
    for stage, s in figures.get("seconds", {}).items():
        print(f"  {stage:<22} {s:7.1f} s")
    print(f"  (linking: {json.dumps(figures.get('linking_seconds', {}))})")
    if "delta" in figures:
        print(f"  delta: {json.dumps(figures['delta'])}")
    print(
        f"  persons touched {a.persons_touched:,}: created {a.persons_created:,}, merged "
        f"{a.persons_merged:,}, split {a.persons_split:,}, retired {a.persons_retired:,}; "
        f"links written {a.links_written:,}; candidate pairs {figures.get('candidate_pairs', 0):,}; "
        f"persons in the register {summary.persons_total:,}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sources", type=Path, required=True, help="generated extracts (the later state)")
    parser.add_argument("--work", type=Path, required=True, help="scratch directory (emptied)")
    parser.add_argument("--new-persons", type=int, default=2_000)
    parser.add_argument("--new-records", type=int, default=3_500)
    parser.add_argument("--changed", type=int, default=3_500)
    parser.add_argument("--db", default="", help="register URL (default: a SQLite file in --work)")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    url = args.db or f"sqlite:///{args.work / 'register.db'}"
    earlier = write_earlier_extracts(
        args.sources,
        args.work / "earlier",
        new_persons=args.new_persons,
        new_records=args.new_records,
        changed=args.changed,
    )
    print(
        f"delta: {earlier.delta_rows:,} rows ({earlier.new_person_rows:,} of {earlier.new_persons:,} new "
        f"persons, {earlier.new_record_rows:,} new records of held persons, {earlier.changed_rows:,} changed)"
    )
    seconds, base = _timed_build(url, args.work / "earlier")
    _report("base register (first build of the earlier extracts)", seconds, base)
    delta_s, delta = _timed_build(url, args.sources)
    _report("delta build", delta_s, delta)
    full_s, full = _timed_build(url, args.sources, full=True)
    _report("anchor: full relink of the same extracts", full_s, full)
    print(f"delta / full relink: {delta_s / full_s:.3f} ({full_s / delta_s:.1f}x faster)")
    delta_link = sum(v for k, v in delta.linkage["seconds"].items() if k != "ingesting")
    full_link = sum(v for k, v in full.linkage["seconds"].items() if k != "ingesting")
    ratio = full_link / delta_link
    print(f"after ingestion: delta {delta_link:.1f} s, full {full_link:.1f} s ({ratio:.1f}x)")


if __name__ == "__main__":
    main()
