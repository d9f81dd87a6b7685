"""Benchmark the whole build against a plain Splink 5 dedupe of the same records, in one run.

Each side runs in its own child process, so that each peak memory is its own. sijill's side is
`sijill build` end to end (ingestion to UINs) on the database given; the plain side is what a
user who needs speed would write with Splink: one table of the raw records (the Latin name
when there is one, else the Arabic; the Arabic names; the date of birth parsed; sex; card),
blocking on names and birth year, Arabic names and birth year, card, and full date with sex;
u by random sampling, one EM session, one clustering threshold. It prints each stage's time,
the totals, peak memories, the ratio of our end-to-end time to Splink's, and both F1 scores.

    uv run python bench/build.py --persons 100000 --engine splink --db sqlite:////tmp/b/r.db
"""

import argparse
import csv
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from sijill.reports.evaluation import score_clusters
from sijill.sources.parse import parse_date

NAME_COLUMNS = {
    "civil": ("nom_fr", "prenom_fr", "nom_ar", "prenom_ar", None),
    "cnie": ("nom_fr", "prenom_fr", "nom_ar", "prenom_ar", "cnie"),
    "massar": ("nom_fr", "prenom_fr", "nom_ar", "prenom_ar", None),
    "cnss": ("nom", "prenom", None, None, "cnie"),
    "ramed": ("nom", "prenom", None, None, "cnie"),
}


def raw_records(sources: Path) -> pd.DataFrame:
    """Read the five extracts as a plain user would: one table, raw names, parsed dates."""
    rows = []
    for source, (fam, giv, fam_ar, giv_ar, card) in NAME_COLUMNS.items():
        with (sources / f"{source}.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                born = parse_date(row.get("date_naissance") or "")

                def value(column: str | None, row: dict[str, str] = row) -> str | None:
                    return (row.get(column) or "").strip().lower() or None if column else None

                rows.append(
                    {
                        "source": source,
                        "source_id": next(iter(row.values())),
                        "surname": value(fam) or value(fam_ar),
                        "first_name": value(giv) or value(giv_ar),
                        "surname_ar": value(fam_ar),
                        "first_name_ar": value(giv_ar),
                        "birth_year": str(born.year) if born else None,
                        "dob": born.iso() if born and born.precision == "day" else None,
                        "sex": (row.get("sexe") or "").strip() or None,
                        "cnie": value(card),
                    }
                )
    frame = pd.DataFrame(rows)
    frame["unique_id"] = range(len(frame))
    return frame


def plain_splink(sources: Path) -> dict[str, Any]:
    """Link the raw records with a plain Splink 5 dedupe; return time and record -> cluster."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    start = time.perf_counter()
    frame = raw_records(sources)
    read = time.perf_counter() - start
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.ExactMatch("first_name_ar"),
            cl.ExactMatch("surname_ar"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("cnie"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname", "birth_year"),
            block_on("first_name_ar", "surname_ar", "birth_year"),
            block_on("cnie"),
            block_on("dob", "sex"),
        ],
    )
    start = time.perf_counter()
    linker = Linker(DuckDBAPI().register(frame), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    out = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    linking = time.perf_counter() - start
    found = frame[["unique_id", "source", "source_id"]].merge(out, on="unique_id")
    return {
        "read_seconds": read,
        "seconds": linking,
        "clusters": found[["source", "source_id", "cluster_id"]].astype(str).values.tolist(),
    }


def sijill_build(sources: Path, db: str, engine: str) -> dict[str, Any]:
    """Run `sijill build` end to end; return its stages, total and crosswalk."""
    from sijill.db.engine import create_engine_for, session_scope
    from sijill.linkage import linker_for
    from sijill.register import crosswalk_rows, run_build

    register = create_engine_for(db)
    start = time.perf_counter()
    summary = run_build(engine=register, sources_dir=sources, linker=linker_for(engine))
    total = time.perf_counter() - start
    with session_scope(register) as session:
        rows = [list(r) for r in crosswalk_rows(session=session) if r[2]]
    return {
        "seconds": total,
        "stages": summary.linkage.get("seconds", {}),
        "linking": summary.linkage.get("linking_seconds", {}),
        "persons": summary.persons_total,
        "clusters": rows,
    }


def _child(role: str, sources: Path, db: str, engine: str) -> dict[str, Any]:
    """Run one side in a child process and return its figures and peak memory."""
    out = subprocess.run(
        [sys.executable, __file__, "--role", role, "--sources", str(sources), "--db", db, "--engine", engine],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def f1_against_truth(sources: Path, clusters: list[list[str]]) -> float:
    truth = pd.read_csv(sources / "truth.csv", dtype=str)
    found = pd.DataFrame(clusters, columns=["source", "source_id", "uin"])
    return score_clusters(truth.merge(found, on=["source", "source_id"])).f1


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", default="splink", help="splink (DuckDB), spark or deterministic")
    parser.add_argument("--db", default="", help="register URL (default: a new SQLite file)")
    parser.add_argument("--sources", default="", help="reuse a generated sources directory")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain Splink run")
    parser.add_argument("--role", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        sources = Path(args.sources)
        if args.role == "build":
            result = sijill_build(sources, args.db, args.engine)
        else:
            result = plain_splink(sources)
        print(json.dumps({**result, "peak_mb": _peak_mb()}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(args.sources) if args.sources else Path(tmp) / "sources"
        if not args.sources:
            from sijill.synth import generate

            generate(sources, persons=args.persons, seed=args.seed)
        db = args.db or f"sqlite:///{Path(tmp) / 'register.db'}"
        ours = _child("build", sources, db, args.engine)
        records = sum(1 for s in NAME_COLUMNS for _ in (sources / f"{s}.csv").open(encoding="utf-8")) - 5
        backend = db.split(":")[0]
        print(f"{args.persons:,} persons, {records:,} records; engine {args.engine}; register {backend}")
        print("sijill build, stage by stage:")
        for stage, seconds in ours["stages"].items():
            print(f"  {stage:<22} {seconds:7.1f} s")
        linking = ", ".join(f"{k} {v:.1f}" for k, v in ours["linking"].items())
        print(f"  (linking: {linking})")
        print(f"  {'total':<22} {ours['seconds']:7.1f} s; peak {ours['peak_mb'] / 1024:.2f} GB")
        f1 = f1_against_truth(sources, ours["clusters"])
        if args.no_plain:
            print(f"sijill F1 {f1:.4f}")
            return
        plain = _child("plain", sources, "", "")
        plain_f1 = f1_against_truth(sources, plain["clusters"])
        print(
            f"plain Splink 5: linkage {plain['seconds']:.1f} s (reading the CSV with pandas: "
            f"{plain['read_seconds']:.1f} s more); peak {plain['peak_mb'] / 1024:.2f} GB"
        )
        print(f"F1: sijill {f1:.4f}, plain Splink {plain_f1:.4f}")
        ratio = ours["seconds"] / plain["seconds"]
        print(f"ratio: sijill's whole build / plain Splink's linkage = {ratio:.2f}")


if __name__ == "__main__":
    main()
