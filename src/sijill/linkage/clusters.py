"""Cluster scored pairs into persons, resisting chains, with guards no score can override.

Plain connected components over-merge: one wrong edge joins two whole persons. Here edges
are taken strongest first, and two clusters join only when nothing between them says they
differ: no reviewer's cannot-link, no pair of records of different sex, no twins, no pair
the model scored as a clear non-match, and no two records of one registry without strong
evidence that they are one person entered twice (a high score and the same full date of birth).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sijill.linkage.result import DisjointSet, LinkResult
from sijill.linkage.spec import Thresholds

PAIR_COLUMNS = [
    "record_id_l",
    "record_id_r",
    "match_weight",
    "source_l",
    "source_r",
    "sex_l",
    "sex_r",
    "birth_date_l",
    "birth_date_r",
    "family_key_l",
    "family_key_r",
    "given_key_l",
    "given_key_r",
]
CONTRADICTION_WEIGHT = 0.0
MAX_REVIEW_PAIRS = 20_000


def hard_guard(p: Any) -> str | None:
    """Return why two records can never be one person, or None."""
    if p.sex_l and p.sex_r and p.sex_l != p.sex_r:
        return "different sex"
    if (
        p.birth_date_l
        and p.birth_date_l == p.birth_date_r
        and p.family_key_l == p.family_key_r
        and p.given_key_l
        and p.given_key_r
        and p.given_key_l != p.given_key_r
    ):
        return "twins: same family and birth date, different given names"
    return None


def guard_mask(pairs: pd.DataFrame) -> Any:
    """Return, for every pair at once, whether a hard guard forbids it (as `hard_guard`)."""

    def known(col: str) -> pd.Series:
        return pairs[col].notna() & (pairs[col].astype(object) != "")

    sexes = known("sex_l") & known("sex_r") & (pairs["sex_l"] != pairs["sex_r"])
    twins = (
        known("birth_date_l")
        & (pairs["birth_date_l"] == pairs["birth_date_r"])
        & (pairs["family_key_l"] == pairs["family_key_r"])
        & known("given_key_l")
        & known("given_key_r")
        & (pairs["given_key_l"] != pairs["given_key_r"])
    )
    return (sexes | twins).to_numpy(dtype=bool)


@dataclass
class ChainResistantClustering:
    """Greedy agglomeration of records along their strongest edges, under constraints."""

    thresholds: Thresholds
    ds: DisjointSet = field(default_factory=DisjointSet)
    members: dict[int, list[int]] = field(default_factory=dict)
    weight: dict[tuple[int, int], float] = field(default_factory=dict)
    blocked: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    source_of: dict[int, str] = field(default_factory=dict)
    birth_of: dict[int, str] = field(default_factory=dict)
    review: list[dict[str, Any]] = field(default_factory=list)
    best: dict[int, float] = field(default_factory=dict)

    def add_records(self, records: pd.DataFrame) -> None:
        for rid, source, born in zip(
            records["record_id"], records["source"], records["birth_date"], strict=True
        ):
            rid = int(rid)
            self.ds.find(rid)
            self.members[rid] = [rid]
            self.source_of[rid] = source
            if isinstance(born, str):
                self.birth_of[rid] = born

    def _block(self, a: int, b: int) -> None:
        self.blocked[a].add(b)
        self.blocked[b].add(a)

    def _may_join(self, ra: int, rb: int) -> bool:
        small, large = sorted((self.members[ra], self.members[rb]), key=len)
        large_set = set(large)
        for a in small:
            if self.blocked.get(a, set()) & large_set:
                return False
            for b in large:
                if self.source_of[a] == self.source_of[b] and not self._same_source_duplicate(a, b):
                    return False
        return True

    def _same_source_duplicate(self, a: int, b: int) -> bool:
        """Return True when two records of one registry are strongly one person entered twice."""
        w = self.weight.get((min(a, b), max(a, b)))
        if w is None or w < self.thresholds.same_source:
            return False
        da, db = self.birth_of.get(a), self.birth_of.get(b)
        return not (da and db and da != db)

    def _join(self, ra: int, rb: int) -> None:
        self.ds.union(ra, rb)
        root = self.ds.find(ra)
        other = rb if root == ra else ra
        self.members[root].extend(self.members.pop(other))

    def cluster(
        self, pairs: pd.DataFrame, must_link: list[tuple[int, int]], cannot_link: list[tuple[int, int]]
    ) -> None:
        """Join records along edges above the link threshold, strongest first."""
        for a, b in cannot_link:
            self._block(a, b)
        left = pairs["record_id_l"].to_numpy(dtype="int64")
        right = pairs["record_id_r"].to_numpy(dtype="int64")
        # Rounded, so that backends differing in the last bits decide alike.
        weights = pairs["match_weight"].astype("float64").round(6).to_numpy()
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        self.weight = dict(zip(zip(lo.tolist(), hi.tolist(), strict=True), weights.tolist(), strict=True))
        refused = guard_mask(pairs) | (weights < CONTRADICTION_WEIGHT)
        for a, b in zip(lo[refused].tolist(), hi[refused].tolist(), strict=True):
            self._block(a, b)
        for a, b in must_link:
            ra, rb = self.ds.find(a), self.ds.find(b)
            if ra != rb:
                self._join(ra, rb)
        keep = ~refused & (weights >= self.thresholds.review)
        order = np.lexsort((hi[keep], lo[keep], -weights[keep]))
        ranked = zip(
            weights[keep][order].tolist(), lo[keep][order].tolist(), hi[keep][order].tolist(), strict=True
        )
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
        size: dict[int, int] = defaultdict(int)
        for root in cluster_of.values():
            size[root] += 1
        forced = {x for pair in must_link for x in pair}
        method_of = {
            rid: "review" if rid in forced else "probabilistic" if size[cluster_of[rid]] > 1 else "singleton"
            for rid in cluster_of
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
    """Cluster scored pairs into would-be persons."""
    clustering = ChainResistantClustering(thresholds)
    clustering.add_records(records)
    clustering.cluster(pairs, must_link, cannot_link)
    return clustering.result(must_link)
