"""Link the records a build adds or changes, without relinking the rest of the register.

A delta build scores only the pairs that involve a changed record, then clusters again only
the persons those pairs reach (the *region*), with the rules of the full build
(`clusters.cluster_pairs`). That gives what a full rebuild gives for the region because the
chain-resistant clustering decides each join from the edges and members of the two clusters
alone: a person none of whose records shares a joinable edge (at or above the link
threshold, not refused by a guard) or a reviewer's must-link with the region cannot change,
and one that does is pulled into the region, its records scored in turn, until no new person
is reached.

What a delta cannot see is how the register-wide statistics a build reads (term
frequencies, learnt spellings, the name counts of the twins guard, the one-registry
threshold) move the scores of pairs among persons it does not touch: it computes them over
the whole register, as a full build does, and scores only the region's pairs with them.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sijill.linkage.clusters import COMPACT_COLUMNS, CONTRADICTION_WEIGHT, cluster_pairs
from sijill.linkage.linker import LinkResult
from sijill.linkage.spec import Thresholds

# Compact pairs (`clusters.COMPACT_COLUMNS`) of the given records against every record, each
# with the given record on the left.
PairScorer = Callable[[list[int]], pd.DataFrame]


@dataclass
class DeltaRegion:
    """The records a delta clusters again, and every scored pair that involves one of them."""

    records: set[int]
    pairs: pd.DataFrame
    rounds: int = 0
    persons: set[int] = field(default_factory=set)


def _members_of(person_of: Mapping[int, int]) -> dict[int, list[int]]:
    members: dict[int, list[int]] = defaultdict(list)
    for rid, person in person_of.items():
        members[person].append(rid)
    return members


@dataclass
class _Closure:
    """Grow a set of records to whole persons and their reviewers' must-link partners."""

    person_of: Mapping[int, int]
    members: dict[int, list[int]]
    partners: dict[int, set[int]]
    persons: set[int] = field(default_factory=set)

    def grow(self, found: Iterable[int], region: set[int]) -> set[int]:
        """Return the records that `found` brings in, beyond `region`."""
        added: set[int] = set()
        todo = [r for r in found if r not in region]
        while todo:
            rid = todo.pop()
            if rid in region or rid in added:
                continue
            added.add(rid)
            person = self.person_of.get(rid)
            if person is not None and person not in self.persons:
                self.persons.add(person)
                todo.extend(self.members[person])
            todo.extend(self.partners.get(rid, ()))
        return added


def _partners(must_link: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    partners: dict[int, set[int]] = defaultdict(set)
    for a, b in must_link:
        partners[a].add(b)
        partners[b].add(a)
    return partners


def joinable(pairs: pd.DataFrame, thresholds: Thresholds) -> "np.ndarray[tuple[int], np.dtype[np.bool_]]":
    """Return which pairs the clustering could join on: at or above the link threshold, not
    refused (as `ChainResistantClustering.cluster` reads them)."""
    weights = pairs["match_weight"].astype("float64").round(6).to_numpy()
    refused = pairs["guarded"].to_numpy(dtype=bool) | (weights < CONTRADICTION_WEIGHT)
    return np.asarray(~refused & (weights >= thresholds.link))


def affected_region(
    *,
    seeds: Iterable[int],
    person_of: Mapping[int, int],
    score: PairScorer,
    must_link: Iterable[tuple[int, int]],
    thresholds: Thresholds,
) -> DeltaRegion:
    """Return the records a delta must cluster again: the seeds, the persons their joinable
    pairs reach, and so on until no new person is reached."""
    closure = _Closure(person_of, _members_of(person_of), _partners(must_link))
    region: set[int] = set()
    frontier = closure.grow(seeds, region)
    found: list[pd.DataFrame] = []
    rounds = 0
    while frontier:
        rounds += 1
        region |= frontier
        pairs = score(sorted(frontier))
        found.append(pairs)
        reached = pairs.loc[joinable(pairs, thresholds), "record_id_r"].astype("int64").tolist()
        frontier = closure.grow(reached, region)
    return DeltaRegion(region, _distinct_pairs(found), rounds, closure.persons)


def _distinct_pairs(found: list[pd.DataFrame]) -> pd.DataFrame:
    """Return each unordered pair once, lower id on the left (as a dedupe predict gives it)."""
    if not found:
        return pd.DataFrame({c: [] for c in COMPACT_COLUMNS})
    pairs = pd.concat(found, ignore_index=True)
    pairs = pairs[pairs["record_id_l"] != pairs["record_id_r"]]
    left, right = pairs["record_id_l"].to_numpy(), pairs["record_id_r"].to_numpy()
    pairs = pairs.assign(record_id_l=np.minimum(left, right), record_id_r=np.maximum(left, right))
    return pairs.drop_duplicates(["record_id_l", "record_id_r"]).reset_index(drop=True)


def _within(pairs: Iterable[tuple[int, int]], region: set[int]) -> list[tuple[int, int]]:
    return [(a, b) for a, b in pairs if a in region and b in region]


def cluster_region(
    frame: pd.DataFrame,
    region: DeltaRegion,
    thresholds: Thresholds,
    *,
    must_link: list[tuple[int, int]],
    cannot_link: list[tuple[int, int]],
) -> LinkResult:
    """Cluster the region's records as a full build would; queue its pairs with the rest.

    `frame` holds the region's records (the linkage frame). Pairs between the region and the
    rest of the register are never joinable (or the rest would be in the region): those worth
    a look go to review, as the full build sends them.
    """
    pairs = region.pairs
    inside = pairs["record_id_l"].isin(region.records) & pairs["record_id_r"].isin(region.records)
    result = cluster_pairs(
        frame,
        pairs[inside],
        thresholds,
        must_link=_within(must_link, region.records),
        cannot_link=_within(cannot_link, region.records),
    )
    across = pairs[~inside]
    weights = across["match_weight"].astype("float64").round(6)
    worth = ~across["guarded"].to_numpy(dtype=bool) & (weights >= thresholds.review).to_numpy()
    ends = zip(across["record_id_l"][worth], across["record_id_r"][worth], weights[worth], strict=True)
    result.review_pairs += [
        {"record_id_l": int(a), "record_id_r": int(b), "match_weight": float(w)} for a, b, w in ends
    ]
    return result
