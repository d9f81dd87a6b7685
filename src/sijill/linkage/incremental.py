"""Cluster one incoming record as a full rebuild would: re-cluster its component only.

The batch's clustering (`clusters.ChainResistantClustering`) joins records only along edges
at or above the link threshold (and reviewers' must-links); guards and contradictions only
ever stop such joins. So the persons a rebuild makes fall apart into the connected
components of those edges, and adding a record changes only the component it enters. Here
that component is found by walking link-strength edges from the incoming record through the
index (each step one candidate look-up and one vectorised score), closed over the persons it
touches; all scored pairs inside it get the batch's guard flags from the Python twins of the
SQL guards; and the batch's own clustering runs on it, with records numbered in (source,
source id) order as `register.flows` numbers them, so ties fall the same way.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sijill.linkage.clusters import COMPACT_COLUMNS, cluster_pairs, guarded, identified
from sijill.linkage.features import NameCounts, given_guard_keys
from sijill.linkage.index import CandidateIndex
from sijill.linkage.linker import LinkResult
from sijill.linkage.online import Array, OnlineScorer, Scores, Value
from sijill.linkage.spec import Thresholds
from sijill.names import SpellingDictionary

MAX_COMPONENT = 2_000  # records; a larger component is clustered as far as it was walked
_COMPACT_TYPES: tuple[Any, ...] = ("int64", "int64", "float64", bool, bool, bool, bool)


@dataclass
class PlusOne:
    """A count of names with one more record counted (the incoming one)."""

    counts: Counter[str]
    name: object

    def get(self, key: str, default: int, /) -> int:
        return self.counts.get(key, default) + (1 if key == self.name else 0)


@dataclass
class Component:
    """The component an incoming record enters, and how the batch's clustering splits it."""

    record_ids: list[int]
    candidates: Array
    scores: Scores
    result: LinkResult


def left_side(
    features: Mapping[str, Any], columns: Sequence[str], numeric: frozenset[str]
) -> dict[str, Value]:
    """Return one record's features as the left side of the scorer's columns (broadcast)."""
    out: dict[str, Value] = {}
    for c in columns:
        value: Any = features.get(c)
        known = value is not None
        if c in numeric:
            out[f"{c}_l"] = (np.array([float(value) if known else np.nan]), np.array([known]))
        else:
            arr = np.empty(1, dtype=object)
            arr[0] = value
            out[f"{c}_l"] = (arr, np.array([known]))
    return out


@dataclass
class ComponentClustering:
    """Find and cluster the component of an incoming record (`features`, from `record_features`
    with `source_id`, `given_ar` and `given_lat`)."""

    index: CandidateIndex
    scorer: OnlineScorer
    thresholds: Thresholds
    spellings: SpellingDictionary
    must_link: Sequence[tuple[int, int]] = ()
    cannot_link: Sequence[tuple[int, int]] = ()
    _seen_now: tuple[NameCounts, NameCounts] = field(default_factory=lambda: _no_counts(), init=False)

    def run(self, features: Mapping[str, Any]) -> Component:
        """Return the component of the record and its clustering (record ids as given)."""
        from sijill.linkage.index import NUMERIC_COLUMNS

        index = self.index
        index._count(features, 1)  # the batch counts the record in its own frame
        try:
            seen = self._seen_now = self._seen(features)
            x = int(features["record_id"])
            slots = index.candidates(features)
            scored = self._scored_columns()
            env = {**left_side(features, scored, NUMERIC_COLUMNS), **index.side(slots, columns=scored)}
            scores = self.scorer.score(env, len(slots), index.tf)
            rows: dict[int, dict[str, Any]] = {x: {**features, **self._guard_keys(features, seen)}}
            pairs: dict[tuple[int, int], float] = {}
            self._note(x, slots, scores.match_weight, pairs)
            members = self._walk(x, slots, scores.match_weight, pairs, seen, rows)
            result = self._cluster(members, pairs, rows)
        finally:
            index._count(features, -1)
        return Component(sorted(members), slots, scores, result)

    def _scored_columns(self) -> tuple[str, ...]:
        """The index's columns the scorer reads (the others are for guards and reports)."""
        return tuple(c for c in self.index.columns if c in self.scorer.columns)

    def _seen(self, features: Mapping[str, Any]) -> tuple[NameCounts, NameCounts]:
        ar, la = self.index.given_seen
        return PlusOne(ar, features.get("given_ar")), PlusOne(la, features.get("given_lat"))

    def _guard_keys(self, row: Mapping[str, Any], seen: tuple[NameCounts, NameCounts]) -> dict[str, Any]:
        return given_guard_keys(row.get("given_ar"), row.get("given_lat"), self.spellings, *seen)

    def _note(self, rid: int, slots: Array, weights: Array, pairs: dict[tuple[int, int], float]) -> None:
        ids = self.index.record_ids[slots].tolist()
        for other, w in zip(ids, weights.tolist(), strict=True):
            pairs.setdefault((min(rid, other), max(rid, other)), w)

    def _walk(
        self,
        x: int,
        slots: Array,
        weights: Array,
        pairs: dict[tuple[int, int], float],
        seen: tuple[NameCounts, NameCounts],
        rows: dict[int, dict[str, Any]],
    ) -> set[int]:
        """Walk link-strength edges and must-links from the record, closed over persons.

        The walk goes a level at a time: every record reached is looked up, and all their
        pairs not scored yet are scored in one vectorised call.
        """
        index = self.index
        members = {x}
        frontier = [int(s) for s in slots[np.round(weights, 6) >= self.thresholds.link]]
        frontier += [index.slot_of[o] for o in self._forced(x) if o in index.slot_of]
        while frontier and len(members) < MAX_COMPONENT:
            level = self._close(frontier, members, rows, seen)
            lefts, rights = self._unscored(level, pairs)
            if not len(lefts):
                break
            scored = self._scored_columns()
            env = {**index.side(lefts, "_l", scored), **index.side(rights, columns=scored)}
            w = self.scorer.score(env, len(lefts), index.tf).match_weight
            ids_l, ids_r = index.record_ids[lefts].tolist(), index.record_ids[rights].tolist()
            for a, b, weight in zip(ids_l, ids_r, w.tolist(), strict=True):
                pairs[(min(a, b), max(a, b))] = weight
            frontier = [int(s) for s in rights[np.round(w, 6) >= self.thresholds.link]]
        return members

    def _close(
        self,
        frontier: list[int],
        members: set[int],
        rows: dict[int, dict[str, Any]],
        seen: tuple[NameCounts, NameCounts],
    ) -> list[int]:
        """Add the records reached, with the other records of their persons and their
        must-link partners; return the slots added."""
        index = self.index
        added: list[int] = []
        while frontier and len(members) < MAX_COMPONENT:
            slot = frontier.pop()
            rid = int(index.record_ids[slot])
            if rid in members or not index.alive[slot]:
                continue
            members.add(rid)
            row = index.row(slot)
            rows[rid] = {**row, **self._guard_keys(row, seen)}
            added.append(slot)
            frontier += [s for s in index.members[index.cluster_of_slot(slot)] if s != slot]
            frontier += [index.slot_of[o] for o in self._forced(rid) if o in index.slot_of]
        return added

    def _unscored(self, level: list[int], pairs: dict[tuple[int, int], float]) -> tuple[Array, Array]:
        """Return the (left, right) slots of the candidate pairs of these records not scored yet."""
        index = self.index
        lefts: list[int] = []
        rights: list[int] = []
        for slot in level:
            rid = int(index.record_ids[slot])
            near = index.candidates(index.row(slot))
            for other, rid_other in zip(near.tolist(), index.record_ids[near].tolist(), strict=True):
                if (min(rid, rid_other), max(rid, rid_other)) not in pairs:
                    lefts.append(slot)
                    rights.append(other)
                    pairs[(min(rid, rid_other), max(rid, rid_other))] = np.nan  # scored below
        return np.asarray(lefts, dtype="int64"), np.asarray(rights, dtype="int64")

    def _forced(self, rid: int) -> list[int]:
        return [b if a == rid else a for a, b in self.must_link if rid in (a, b)]

    def _cluster(
        self, members: set[int], pairs: dict[tuple[int, int], float], rows: dict[int, dict[str, Any]]
    ) -> LinkResult:
        """Cluster the component with the batch's clustering, records in content order."""
        if len(members) == 1:
            return self._alone(next(iter(members)), pairs, rows)
        ordered = sorted(members, key=lambda r: (str(rows[r]["source"]), str(rows[r]["source_id"])))
        rank = {r: i + 1 for i, r in enumerate(ordered)}
        inside = [
            self._compact(rank, rows, a, b, w) for (a, b), w in pairs.items() if a in rank and b in rank
        ]
        columns = list(zip(*inside, strict=True)) if inside else [()] * len(COMPACT_COLUMNS)
        compact = {
            c: np.asarray(v, dtype=t)
            for c, v, t in zip(COMPACT_COLUMNS, columns, _COMPACT_TYPES, strict=True)
        }
        records = {
            "record_id": np.arange(1, len(ordered) + 1, dtype="int64"),
            "source": np.asarray([rows[r]["source"] for r in ordered], dtype=object),
        }

        def ranked(links: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
            return [(rank[a], rank[b]) for a, b in links if a in rank and b in rank]

        result = cluster_pairs(
            records,
            compact,
            self.thresholds,
            must_link=ranked(self.must_link),
            cannot_link=ranked(self.cannot_link),
        )
        back = {i: r for r, i in rank.items()}
        result.cluster_of = {back[r]: back[c] for r, c in result.cluster_of.items()}
        result.method_of = {back[r]: m for r, m in result.method_of.items()}
        result.score_of = {back[r]: s for r, s in result.score_of.items()}
        for pair in result.review_pairs:
            left, right = back[pair["record_id_l"]], back[pair["record_id_r"]]
            pair["record_id_l"], pair["record_id_r"] = min(left, right), max(left, right)
        return result

    def _alone(
        self, x: int, pairs: dict[tuple[int, int], float], rows: dict[int, dict[str, Any]]
    ) -> LinkResult:
        """Cluster a component of one record: no edge reaches the link threshold, so the
        batch would leave it alone and send its unguarded pairs above review to review."""
        review = []
        for (a, b), w in pairs.items():
            weight = float(np.round(w, 6))
            if weight < self.thresholds.review:
                continue
            other = b if a == x else a
            pair = {**_side(rows[x], "_l"), **_side(self._row(other, rows), "_r")}
            if not guarded(pair):
                review.append({"record_id_l": a, "record_id_r": b, "match_weight": weight})
        return LinkResult({x: x}, {x: "singleton"}, {x: None}, review_pairs=review)

    def _row(self, rid: int, rows: dict[int, dict[str, Any]]) -> dict[str, Any]:
        if rid not in rows:
            row = self.index.row(self.index.slot_of[rid])
            rows[rid] = {**row, **self._guard_keys(row, self._seen_now)}
        return rows[rid]

    @staticmethod
    def _compact(
        rank: Mapping[int, int], rows: Mapping[int, Mapping[str, Any]], a: int, b: int, w: float
    ) -> tuple[Any, ...]:
        """Return a pair's compact row (`COMPACT_COLUMNS`), oriented by rank like the batch."""
        lo, hi = (a, b) if rank[a] < rank[b] else (b, a)
        pair = {**_side(rows[lo], "_l"), **_side(rows[hi], "_r")}
        differ = pair["birth_date_l"] is not None and pair["birth_date_r"] is not None
        return (
            rank[lo],
            rank[hi],
            w,
            pair["source_l"] == pair["source_r"],
            differ and pair["birth_date_l"] != pair["birth_date_r"],
            guarded(pair),
            identified(pair),
        )


def _no_counts() -> tuple[NameCounts, NameCounts]:
    return Counter(), Counter()


def _side(row: Mapping[str, Any], suffix: str) -> dict[str, Any]:
    return {f"{k}{suffix}": v for k, v in row.items()}


def weights_of(scores: Scores, i: int) -> dict[str, float]:
    """Return each comparison's match weight for the i-th scored pair."""
    return {name: float(w[i]) for name, w in scores.weights.items()}


def ranked_candidates(scores: Scores, floor: float) -> Array:
    """Return the positions of the scored pairs at or above a weight, strongest first."""
    keep = np.flatnonzero(scores.match_weight >= floor)
    return keep[np.argsort(-scores.match_weight[keep], kind="stable")]
