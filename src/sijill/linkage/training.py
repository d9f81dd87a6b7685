"""Train the linkage model without luck: u sampled with a seed, m from shared cards, EM checked."""

import logging
import math
from typing import Any

import numpy as np
import pandas as pd
from splink import Linker, block_on
from splink.internals.exceptions import EMTrainingException

from sijill.linkage.linker import TrainedModel
from sijill.linkage.spec import DETERMINISTIC_RULES, EM_BLOCKS, Thresholds

logger = logging.getLogger(__name__)
U_SAMPLE_PAIRS = 500_000
EM_MAX_PAIRS = 1_000_000
SEED = 42
MIN_LABEL_PAIRS = 50
M_FLOOR = 0.005  # no level is ever taken as impossible among true matches (clerks err)


def floor_m(settings: dict[str, Any]) -> dict[str, Any]:
    """Raise every m probability to at least M_FLOOR, then renormalise each comparison."""
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        if any(lv.get("fix_m_probability") for lv in levels):
            continue
        ms = [max(float(lv.get("m_probability") or 0.0), M_FLOOR) for lv in levels]
        total = sum(ms)
        for lv, m in zip(levels, ms, strict=True):
            lv["m_probability"] = m / total
    return settings


def card_label_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Return pairs of records sharing a CNIE number and birth year: free positive labels."""
    cards = frame.loc[frame["cnie"].notna(), ["record_id", "cnie", "birth_year"]]
    pairs = cards.merge(cards, on=["cnie", "birth_year"], suffixes=("_l", "_r"))
    pairs = pairs[pairs["record_id_l"] < pairs["record_id_r"]]
    return pairs[["record_id_l", "record_id_r"]].reset_index(drop=True)


def _pairs(sizes: pd.Series) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def _group_codes(frame: pd.DataFrame, keys: list[str]) -> "np.ndarray[tuple[int], np.dtype[np.int64]]":
    """Number each distinct combination of the keys (none null): a group by on integers,
    several times faster than pandas' on millions of strings."""
    code = np.zeros(len(frame), dtype="int64")
    for key in keys:
        part, values = pd.factorize(frame[key])
        code, _ = pd.factorize(code * (len(values) + 1) + part)
    return code


def _pairs_within(code: "np.ndarray[tuple[int], np.dtype[np.int64]]") -> int:
    sizes = np.bincount(code).astype("int64")
    return int((sizes * (sizes - 1) // 2).sum())


_SURE_KEYS = (("family_strict", "given_strict", "birth_date"), ("cnie", "birth_year"))


def sure_pairs_sql(table: str) -> str:
    """Return the SQL of `_sure_pairs` over a table of the linkage frame: one row (pairs of one
    registry, all pairs), counted by the backend that holds the records already."""

    def pairs(keys: tuple[str, ...], where: str) -> str:
        return (
            f"(SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM {table} "
            f"WHERE {where} GROUP BY {', '.join(keys)}))"
        )

    same, total = [], []
    for keys in _SURE_KEYS:
        where = " AND ".join(f"{k} IS NOT NULL" for k in keys)
        same.append(pairs((*keys, "source"), where))
        total.append(pairs(keys, where))
    return f"SELECT {' + '.join(same)} AS same, {' + '.join(total)} AS total"


def _sure_pairs(frame: pd.DataFrame) -> tuple[int, int]:
    """Return (pairs of one registry, all pairs) among the records the deterministic rules
    join: the same names and full birth date, or the same card and birth year."""
    same = total = 0
    for keys in map(list, _SURE_KEYS):
        known = frame.dropna(subset=keys)
        total += _pairs_within(_group_codes(known, keys))
        same += _pairs_within(_group_codes(known, [*keys, "source"]))
    return same, total


def same_source_threshold(
    frame: pd.DataFrame, thresholds: Thresholds, *, sure: tuple[int, int] | None = None
) -> float:
    """Return the match weight two records of one registry need, from how often this data
    holds a person twice in one registry.

    The model's prior is one for every pair; but a registry rarely holds a person twice,
    while a person is usually in several registries, so a pair of one registry needs more
    evidence by the log ratio of the two priors. They are estimated from the pairs the
    deterministic rules join (which share of them is of one registry) against the share of
    all pairs that is of one registry; a file of one registry (a deduplication) needs none.
    The result lies between the link threshold and `thresholds.same_source`. `sure` is
    `_sure_pairs(frame)` when the caller counted it already (`sure_pairs_sql`).
    """
    sizes = frame.groupby("source").size()
    all_pairs = _pairs(pd.Series([len(frame)]))
    share_of_pairs = _pairs(sizes) / all_pairs if all_pairs else 1.0
    if share_of_pairs >= 1.0:
        return thresholds.link
    same, total = sure if sure is not None else _sure_pairs(frame)
    share_of_matches = (same + 0.5) / (total + 1.0)
    prior_same = share_of_matches / share_of_pairs
    prior_other = (1.0 - share_of_matches) / (1.0 - share_of_pairs)
    offset = math.log2(prior_other / prior_same)
    return min(max(thresholds.link + offset, thresholds.link), thresholds.same_source)


def level_weights(settings: dict[str, Any]) -> dict[str, list[float]]:
    """Return the match weight of each non-null level of each comparison, top level first."""
    import math

    out: dict[str, list[float]] = {}
    for comparison in settings["comparisons"]:
        weights = []
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weights.append(math.log2(m / u) if m and u else float("nan"))
        out[comparison["output_column_name"]] = weights
    return out


def weights_problems(settings: dict[str, Any]) -> list[str]:
    """Return what is implausible in a trained model: agreement weaker than disagreement."""
    problems = []
    for name, weights in level_weights(settings).items():
        if any(w != w for w in weights):
            problems.append(f"{name}: a level has no estimate")
            continue
        if weights[0] <= weights[-1]:
            problems.append(
                f"{name}: agreement ({weights[0]:.1f}) not above disagreement ({weights[-1]:.1f})"
            )
        if weights[-1] > 0:
            problems.append(f"{name}: disagreement has a positive weight ({weights[-1]:.1f})")
    return problems


def train(linker: Linker, frame: pd.DataFrame, *, run_em: bool = True) -> TrainedModel:
    """Estimate lambda, u and m; run EM from the label m and keep it only when plausible."""
    info: dict[str, Any] = {"records": len(frame), "seed": SEED}
    linker.training.estimate_probability_two_random_records_match(list(DETERMINISTIC_RULES), recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=SEED)
    labels = card_label_pairs(frame)
    info["label_pairs"] = len(labels)
    has_labels = len(labels) >= MIN_LABEL_PAIRS
    if has_labels:
        table = linker._db_api.register(labels)
        linker.training.estimate_m_from_pairwise_labels(table)
        info["m_from"] = "shared CNIE labels"
    else:
        info["m_from"] = "EM only (too few shared cards)"
    seeded = linker.misc.save_model_to_json()
    info["em"] = "not run"
    if run_em:
        info["em_blocks"] = {}
        for cols in EM_BLOCKS:
            name = " & ".join(cols)
            if not frame.dropna(subset=list(cols)).duplicated(subset=list(cols)).any():
                info["em_blocks"][name] = "skipped: no pair of records agrees on these columns"
                continue
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*cols),
                    fix_u_probabilities=True,
                    max_pairs=EM_MAX_PAIRS,
                    record_sample_proportion=1.0,
                )
            except EMTrainingException as exc:  # the session may leave the settings half-trained
                info["em"] = f"failed on {name}: {str(exc).splitlines()[0][:120]}"
                return TrainedModel(floor_m(seeded), info)
            info["em_blocks"][name] = "ran"
        trained = linker.misc.save_model_to_json()
        problems = weights_problems(trained)
        info["em"] = "kept" if not problems else "rejected"
        info["em_problems"] = problems
        if problems and has_labels:  # without labels, EM is all there is
            return TrainedModel(floor_m(seeded), info)
        return TrainedModel(floor_m(trained), info)
    return TrainedModel(floor_m(seeded), info)
