"""Cluster scored pairs into persons, resisting chains, with guards no score can override.

Plain connected components over-merge: one wrong edge joins two whole persons. Here edges
are taken strongest first, and two clusters join only when nothing between them says they
differ: no reviewer's cannot-link, no pair of records of different sex, no twins, no pair
the model scored as a clear non-match, and no two records of one registry without strong
evidence that they are one person entered twice (a high score and no other date of birth).

The scored pairs arrive compact, one row a pair: the two record ids, the match weight and
three flags computed where the pairs are (`COMPACT_PAIRS_SQL`, in DuckDB or Spark), so that
millions of pairs cost a few numeric columns in memory.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein

from sijill.linkage.linker import DisjointSet, LinkResult
from sijill.linkage.spec import Thresholds

CONTRADICTION_WEIGHT = 0.0
MAX_REVIEW_PAIRS = 20_000
COMPACT_COLUMNS = ["record_id_l", "record_id_r", "match_weight", "same_source", "dates_differ", "guarded"]

# The hard guards, as SQL on Splink's predictions (columns retained as `<name>_l`, `<name>_r`):
# different sex; twins: one family and full birth date, and given names that differ by more
# than a typo (a typo is one edit past the first letter: Rachid / Rachit; twins' names are
# not: Mohammed / Ahmed, Hassan / Houssine, Hamid / Hamza).
TWIN_NAME_EDITS = 2
GUARD_SQL = (
    "coalesce(sex_l <> sex_r, false) OR coalesce(birth_date_l = birth_date_r "
    "AND family_key_l = family_key_r AND given_strict_l <> given_strict_r "
    "AND (substr(given_strict_l, 1, 1) <> substr(given_strict_r, 1, 1) "
    f"OR levenshtein(given_strict_l, given_strict_r) >= {TWIN_NAME_EDITS}), false)"
)
COMPACT_PAIRS_SQL = (
    "SELECT record_id_l, record_id_r, match_weight, source_l = source_r AS same_source, "
    "coalesce(birth_date_l <> birth_date_r, false) AS dates_differ, "
    f"({GUARD_SQL}) AS guarded FROM {{table}}"
)


def _differ(left: pd.Series, right: pd.Series) -> pd.Series:
    """Return True where both values are known and differ (SQL's coalesce(l <> r, false))."""
    return left.notna() & right.notna() & (left != right)


def _other_given_name(a: object, b: object) -> bool:
    """Return True when two given-name keys differ by more than a typo (as in GUARD_SQL)."""
    if not isinstance(a, str) or not isinstance(b, str) or a == b:
        return False
    return a[:1] != b[:1] or Levenshtein.distance(a, b) >= TWIN_NAME_EDITS


def compact_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Return the compact pairs of a frame of wide pairs, as `COMPACT_PAIRS_SQL` does."""
    other_name = [
        _other_given_name(a, b) for a, b in zip(pairs["given_strict_l"], pairs["given_strict_r"], strict=True)
    ]
    twins = (
        pairs["birth_date_l"].notna()
        & (pairs["birth_date_l"] == pairs["birth_date_r"])
        & (pairs["family_key_l"] == pairs["family_key_r"])
        & pd.Series(other_name, index=pairs.index)
    )
    return pd.DataFrame(
        {
            "record_id_l": pairs["record_id_l"],
            "record_id_r": pairs["record_id_r"],
            "match_weight": pairs["match_weight"],
            "same_source": pairs["source_l"] == pairs["source_r"],
            "dates_differ": _differ(pairs["birth_date_l"], pairs["birth_date_r"]),
            "guarded": _differ(pairs["sex_l"], pairs["sex_r"]) | twins,
        }
    )


def _key(a: int, b: int) -> int:
    """Return one integer for an unordered pair of record ids."""
    return (min(a, b) << 32) | max(a, b)


@dataclass
class ChainResistantClustering:
    """Greedy agglomeration of records along their strongest edges, under constraints."""

    thresholds: Thresholds
    ds: DisjointSet = field(default_factory=DisjointSet)
    members: dict[int, list[int]] = field(default_factory=dict)
    source_of: dict[int, str] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    duplicates: set[int] = field(default_factory=set)
    review: list[dict[str, Any]] = field(default_factory=list)
    best: dict[int, float] = field(default_factory=dict)

    def add_records(self, records: pd.DataFrame) -> None:
        sources = {s: s for s in records["source"].unique()}
        for rid, source in zip(records["record_id"].tolist(), records["source"].tolist(), strict=True):
            self.ds.find(rid)
            self.members[rid] = [rid]
            self.source_of[rid] = sources[source]

    def _may_join(self, ra: int, rb: int) -> bool:
        small, large = sorted((self.members[ra], self.members[rb]), key=len)
        for a in small:
            for b in large:
                key = _key(a, b)
                if key in self.blocked:
                    return False
                if self.source_of[a] == self.source_of[b] and key not in self.duplicates:
                    return False
        return True

    def _join(self, ra: int, rb: int) -> None:
        self.ds.union(ra, rb)
        root = self.ds.find(ra)
        other = rb if root == ra else ra
        self.members[root].extend(self.members.pop(other))

    def _keys(self, left: Any, right: Any) -> set[int]:
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        return set(((lo << 32) | hi).tolist())

    def cluster(
        self, pairs: pd.DataFrame, must_link: list[tuple[int, int]], cannot_link: list[tuple[int, int]]
    ) -> None:
        """Join records along edges above the link threshold, strongest first."""
        left = pairs["record_id_l"].to_numpy(dtype="int64")
        right = pairs["record_id_r"].to_numpy(dtype="int64")
        # Rounded, so that backends differing in the last bits decide alike.
        weights = pairs["match_weight"].astype("float64").round(6).to_numpy()
        refused = pairs["guarded"].to_numpy(dtype=bool) | (weights < CONTRADICTION_WEIGHT)
        self.blocked = self._keys(left[refused], right[refused])
        self.blocked |= {_key(a, b) for a, b in cannot_link}
        twice = (
            pairs["same_source"].to_numpy(dtype=bool)
            & ~pairs["dates_differ"].to_numpy(dtype=bool)
            & (weights >= self.thresholds.same_source)
        )
        self.duplicates = self._keys(left[twice], right[twice])
        for a, b in must_link:
            ra, rb = self.ds.find(a), self.ds.find(b)
            if ra != rb:
                self._join(ra, rb)
        keep = ~refused & (weights >= self.thresholds.review)
        lo, hi = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
        order = np.lexsort((hi, lo, -weights[keep]))
        ranked = zip(weights[keep][order].tolist(), lo[order].tolist(), hi[order].tolist(), strict=True)
        for w, a, b in ranked:
            ra, rb = self.ds.find(a), self.ds.find(b)
            if ra == rb:
                continue
            if w >= self.thresholds.link and self._may_join(ra, rb):
                self._join(ra, rb)
                self.best[a] = max(self.best.get(a, w), w)
                self.best[b] = max(self.best.get(b, w), w)
            elif len(self.review) < MAX_REVIEW_PAIRS:
                self.review.append({"record_id_l": a, "record_id_r": b, "match_weight": w})

    def result(self, must_link: list[tuple[int, int]]) -> LinkResult:
        cluster_of = {rid: self.ds.find(rid) for rid in self.source_of}
        size: dict[int, int] = {}
        for root in cluster_of.values():
            size[root] = size.get(root, 0) + 1
        forced = {x for pair in must_link for x in pair}
        method_of = {
            rid: "review" if rid in forced else "probabilistic" if size[root] > 1 else "singleton"
            for rid, root in cluster_of.items()
        }
        score_of: dict[int, float | None] = {rid: self.best.get(rid) for rid in cluster_of}
        review = [r for r in self.review if cluster_of[r["record_id_l"]] != cluster_of[r["record_id_r"]]]
        return LinkResult(cluster_of, method_of, score_of, review_pairs=review)


def cluster_pairs(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    thresholds: Thresholds,
    *,
    must_link: list[tuple[int, int]],
    cannot_link: list[tuple[int, int]],
) -> LinkResult:
    """Cluster compact scored pairs (`COMPACT_COLUMNS`) into would-be persons."""
    clustering = ChainResistantClustering(thresholds)
    clustering.add_records(records)
    clustering.cluster(pairs, must_link, cannot_link)
    return clustering.result(must_link)
