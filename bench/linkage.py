"""Benchmark linkage on every noise profile: sijill's linker against a plain Splink set-up.

For each profile (`sijill synth --profile`), one population is generated and linked twice in
this process: by `sijill build` (the whole register build, SQLite) and by a plain Splink
set-up, what a careful user of Splink would write on the raw columns: the Latin name when
there is one (else the Arabic), the date of birth parsed to ISO, Splink's NameComparison,
DateOfBirthComparison and ExactMatch, blocking on names and dates, EM training, connected
components at 0.95. Reported for each: precision, recall and F1 of record pairs, twins merged
(pairs of records of two twin siblings given one UIN), and the recall of each subgroup
(pairs with at least one record in it; B-cubed alongside).

Tune on the development seed; report on the held-out one (`--seed 2027`), never tuned on.
Then, for each size given, the end-to-end build time of `sijill build`.

    uv run python bench/linkage.py --persons 20000 --profiles all --sizes ''
    uv run python bench/linkage.py --persons 20000 --seed 2027 --sizes '' --json
"""

import argparse
import csv
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from sqlalchemy import select

from sijill.db.engine import create_engine_for, migrate, session_scope
from sijill.linkage.splink_linker import SplinkLinker
from sijill.register.flows import BuildProgress, run_build
from sijill.register.models import Link, Person
from sijill.reports.evaluation import score_clusters
from sijill.sources.models import ACCEPTED, SourceRecord
from sijill.sources.parse import parse_date
from sijill.synth import generate
from sijill.synth.config import load_profile, profile_names

DEV_SEED = 3
HELD_OUT_SEED = 2027
SUBGROUPS = ("year_only_birth", "arabic_only", "rural", "women")
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


@dataclass
class Figures:
    """The quality of one system on one population."""

    precision: float
    recall: float
    f1: float
    seconds: float
    twins_merged: int
    subgroups: dict[str, dict[str, float]] = field(default_factory=dict)


def _touching_recall(frame: pd.DataFrame, mask: pd.Series) -> float:
    """Return the recall of the true pairs with at least one record in `mask`."""
    everyone, outside = score_clusters(frame), score_clusters(frame[~mask])
    true = everyone.true_pairs - outside.true_pairs
    found = everyone.true_positive_pairs - outside.true_positive_pairs
    return found / true if true else 1.0


def _bcubed_recall(frame: pd.DataFrame, mask: pd.Series) -> float:
    cell = frame.groupby(["uin", "person_id"])["source"].transform("size")
    true = frame.groupby("person_id")["source"].transform("size")
    return float((cell[mask] / true[mask]).mean()) if mask.any() else 1.0


def twins_merged(frame: pd.DataFrame, persons: pd.DataFrame) -> int:
    """Return how many pairs of records of two twin siblings share one UIN."""
    twins = persons[persons["twin"] == "1"]
    sibling = {
        pid: (hh, born)
        for pid, hh, born in zip(twins["person_id"], twins["household_id"], twins["birth_date"], strict=True)
    }
    count = 0
    for _, members in frame[frame["person_id"].isin(sibling)].groupby("uin"):
        ids = members["person_id"].tolist()
        for i, a in enumerate(ids):
            count += sum(b != a and sibling[a] == sibling[b] for b in ids[i + 1 :])
    return count


def figures(frame: pd.DataFrame, persons: pd.DataFrame, seconds: float) -> Figures:
    """Score one system's clusters (`uin`) against the truth (`person_id`)."""
    s = score_clusters(frame)
    out = Figures(s.precision, s.recall, s.f1, seconds, twins_merged(frame, persons))
    masks = {
        "year_only_birth": frame["birth_precision"] == "year",
        "arabic_only": frame["family_lat"].isna() & frame["given_lat"].isna(),
        "rural": frame["rural"] == "1",
        "women": frame["sex"] == "F",
    }
    out.subgroups = {
        name: {
            "records": int(mask.sum()),
            "recall": _touching_recall(frame, mask),
            "bcubed_recall": _bcubed_recall(frame, mask),
        }
        for name, mask in masks.items()
    }
    return out


def register_frame(engine: Any) -> pd.DataFrame:
    """Return each accepted record of the register with its UIN and the fields of the subgroups."""
    stmt = (
        select(
            SourceRecord.source,
            SourceRecord.source_id,
            Person.uin,
            SourceRecord.family_lat,
            SourceRecord.given_lat,
            SourceRecord.sex,
            SourceRecord.birth_precision,
        )
        .join(Link, Link.source_record_id == SourceRecord.id)
        .join(Person, Person.id == Link.person_id)
        .where(SourceRecord.status == ACCEPTED)
    )
    with session_scope(engine) as session:
        rows = session.execute(stmt).all()
    columns = ["source", "source_id", "uin", "family_lat", "given_lat", "sex", "birth_precision"]
    return pd.DataFrame(rows, columns=columns)


def sijill_run(sources: Path, db: Path) -> tuple[Any, float, float]:
    """Build the register from the sources; return the engine, linking time and total time."""
    engine = create_engine_for(f"sqlite:///{db}")
    migrate(engine)
    timings: dict[str, float] = {}
    start = time.perf_counter()

    def stage(name: str) -> None:
        timings[name] = time.perf_counter() - start

    run_build(
        engine=engine, sources_dir=sources, linker=SplinkLinker(), progress=BuildProgress(on_stage=stage)
    )
    total = time.perf_counter() - start
    return engine, timings["assigning UINs"] - timings["learning spellings"], total


def _truth(sources: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    truth = pd.read_csv(sources / "truth.csv", dtype=str)
    persons = pd.read_csv(
        sources / "persons.csv",
        dtype=str,
        usecols=["person_id", "household_id", "birth_date", "twin", "rural"],
    )
    return truth, persons


def run_profile(profile: str, persons: int, seed: int, tmp: Path) -> dict[str, Figures]:
    """Generate one population of a profile and score both systems on it."""
    sources = tmp / f"sources_{profile}"
    generate(sources, persons=persons, seed=seed, config=load_profile(profile).config())
    truth, people = _truth(sources)
    engine, linking, _ = sijill_run(sources, tmp / f"{profile}.db")
    ours = truth.merge(register_frame(engine), on=["source", "source_id"]).merge(people, on="person_id")
    engine.dispose()
    raw = raw_records(sources)
    start = time.perf_counter()
    clusters = plain_splink(raw)
    plain_time = time.perf_counter() - start
    plain = raw[["source", "source_id", "unique_id"]].merge(clusters, on="unique_id")
    plain = plain.rename(columns={"cluster_id": "uin"}).drop(columns="unique_id")
    plain = plain.merge(ours.drop(columns="uin"), on=["source", "source_id"])
    return {"sijill": figures(ours, people, linking), "splink": figures(plain, people, plain_time)}


def _print(profile: str, result: dict[str, Figures]) -> None:
    ours, plain = result["sijill"], result["splink"]
    print(f"\n== profile {profile}")
    for name, f in result.items():
        print(
            f"{name:<7} precision {f.precision:.4f}  recall {f.recall:.4f}  F1 {f.f1:.4f}  "
            f"twins merged {f.twins_merged}  {f.seconds:.1f} s"
        )
    print(f"time ratio sijill linking / plain Splink: {ours.seconds / plain.seconds:.2f}")
    for name in SUBGROUPS:
        g, p = ours.subgroups[name], plain.subgroups[name]
        gap = g["recall"] - ours.recall
        print(
            f"  {name:<16} {g['records']:>6,} records  recall {g['recall']:.4f} ({gap:+.4f} vs overall)"
            f"  B3 {g['bcubed_recall']:.4f}   plain Splink {p['recall']:.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=DEV_SEED, help=f"held-out seed: {HELD_OUT_SEED}")
    parser.add_argument("--profiles", default="all", help="comma-separated profile names, or all")
    parser.add_argument("--sizes", default="100000", help="comma-separated sizes for the end-to-end build")
    parser.add_argument("--json", action="store_true", help="one JSON object per line, profile and system")
    args = parser.parse_args()
    profiles = profile_names() if args.profiles == "all" else args.profiles.split(",")
    with tempfile.TemporaryDirectory(prefix="linkage-bench-") as tmp:
        for profile in profiles:
            result = run_profile(profile, args.persons, args.seed, Path(tmp))
            if args.json:
                for system, f in result.items():
                    row = {"profile": profile, "seed": args.seed, "persons": args.persons, "system": system}
                    print(json.dumps(row | vars(f)))
            else:
                _print(profile, result)
        for size in [int(s) for s in args.sizes.split(",") if s]:
            big = Path(tmp) / f"sources_{size}"
            generate(big, persons=size, seed=1)
            engine, link_s, total_s = sijill_run(big, Path(tmp) / f"r_{size}.db")
            engine.dispose()
            print(f"end to end, {size:,} persons: build {total_s:.1f} s (linking {link_s:.1f} s)")


if __name__ == "__main__":
    main()
