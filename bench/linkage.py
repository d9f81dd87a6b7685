"""Benchmark linkage: sijill's linker against a plain Splink set-up, on the same data.

Both run in this process on one generated population. The plain set-up is what a careful
user of Splink would write on the raw columns: the Latin name when there is one (else the
Arabic), the date of birth parsed to ISO, Splink's NameComparison, DateOfBirthComparison and
ExactMatch, blocking on names and dates, EM training, connected components at 0.95.
Then, for each size given, the end-to-end build time of `sijill build`.

    uv run python bench/linkage.py --persons 20000 --sizes 100000
"""

import argparse
import csv
import logging
import tempfile
import time
from pathlib import Path

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import run_build
from sijill.reports.evaluation import score_clusters
from sijill.sources.parse import parse_date
from sijill.synth import generate

NAME_COLUMNS = {
    "civil": ("nom_fr", "prenom_fr", "nom_ar", "prenom_ar"),
    "cnie": ("nom_fr", "prenom_fr", "nom_ar", "prenom_ar"),
    "massar": ("nom_fr", "prenom_fr", "nom_ar", "prenom_ar"),
    "cnss": ("nom", "prenom", "nom", "prenom"),
    "ramed": ("nom", "prenom", "nom", "prenom"),
}


def raw_records(sources: Path) -> pd.DataFrame:
    """Read the five extracts as a plain user would: one table, raw names, parsed dates."""
    rows = []
    for source, (fam, giv, fam_ar, giv_ar) in NAME_COLUMNS.items():
        with (sources / f"{source}.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                born = parse_date(row["date_naissance"])
                rows.append(
                    {
                        "source": source,
                        "source_id": next(iter(row.values())),
                        "surname": (row[fam] or row[fam_ar]).strip().lower() or None,
                        "first_name": (row[giv] or row[giv_ar]).strip().lower() or None,
                        "dob": born.iso() if born and born.precision == "day" else None,
                        "sex": row["sexe"] or None,
                    }
                )
    frame = pd.DataFrame(rows)
    frame["unique_id"] = range(len(frame))
    return frame


def plain_splink(frame: pd.DataFrame) -> pd.DataFrame:
    """Link with a standard Splink configuration; return record -> cluster."""
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("dob"),
            block_on("surname", "dob"),
        ],
    )
    linker = Linker(DuckDBAPI().register(frame), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    return clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]


def truth(sources: Path) -> pd.DataFrame:
    return pd.read_csv(sources / "truth.csv", dtype=str)


def score(frame: pd.DataFrame) -> str:
    s = score_clusters(frame)
    return f"precision {s.precision:.4f}, recall {s.recall:.4f}, F1 {s.f1:.4f}"


def sijill_run(sources: Path, db: Path) -> tuple[pd.DataFrame, float, float]:
    engine = create_engine_for(f"sqlite:///{db}")
    migrate(engine)
    timings: dict[str, float] = {}
    start = time.perf_counter()

    def stage(name: str) -> None:
        timings[name] = time.perf_counter() - start

    from sijill.register.flows import BuildProgress

    run_build(
        engine=engine,
        sources_dir=sources,
        linker=SplinkLinker(),
        progress=BuildProgress(on_stage=stage),
    )
    total = time.perf_counter() - start
    with session_scope(engine) as session:
        from sijill.register.service import crosswalk_rows

        rows = pd.DataFrame(list(crosswalk_rows(session=session)), columns=["source", "source_id", "uin"])
    linking = timings["assigning UINs"] - timings["learning spellings"]
    return rows[rows["uin"] != ""], linking, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--sizes",
        default="100000",
        help="comma-separated sizes for the end-to-end build ('' for none)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources"
        generate(sources, persons=args.persons, seed=args.seed)
        t = truth(sources)
        crosswalk, linking, total = sijill_run(sources, Path(tmp) / "r.db")
        ours = t.merge(crosswalk, on=["source", "source_id"]).rename(columns={})
        raw = raw_records(sources)
        start = time.perf_counter()
        clusters = plain_splink(raw)
        plain_time = time.perf_counter() - start
        plain = raw.merge(clusters, on="unique_id").merge(t, on=["source", "source_id"])
        plain = plain.rename(columns={"cluster_id": "uin"})
        print(f"population: {args.persons:,} persons (seed {args.seed}), {len(raw):,} records")
        print(f"sijill linker : {score(ours)}; linking {linking:.1f} s (whole build {total:.1f} s)")
        print(f"plain Splink  : {score(plain)}; {plain_time:.1f} s (training, prediction, clustering)")
        print(f"time ratio sijill linking / plain Splink: {linking / plain_time:.2f}")
        for size in [int(s) for s in args.sizes.split(",") if s]:
            big = Path(tmp) / f"sources_{size}"
            generate(big, persons=size, seed=1)
            _, link_s, total_s = sijill_run(big, Path(tmp) / f"r_{size}.db")
            print(f"end to end, {size:,} persons: build {total_s:.0f} s (linking {link_s:.0f} s)")


if __name__ == "__main__":
    main()
