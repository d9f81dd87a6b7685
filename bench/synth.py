"""Benchmark the synthetic population generator: persons and rows written per second.

uv run python bench/synth.py --persons 1000000
"""

import argparse
import platform
import tempfile
import time
from pathlib import Path

from sijill.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = generate(Path(tmp), persons=args.persons, seed=args.seed)
        seconds = time.perf_counter() - start
    rows = sum(result.rows.values())
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"persons: {args.persons:,} in {result.households:,} households; extract rows: {rows:,}")
    print(f"time: {seconds:.1f} s -> {args.persons / seconds:,.0f} persons/s, {rows / seconds:,.0f} rows/s")
    print(f"goal: 1M persons in 120 s -> {'met' if args.persons / seconds >= 1_000_000 / 120 else 'missed'}")


if __name__ == "__main__":
    main()
