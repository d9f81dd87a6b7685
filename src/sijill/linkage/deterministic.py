"""A deterministic linker: the same CNIE, or the same names, full date of birth and sex."""

from typing import Any

import pandas as pd

from sijill.linkage.features import add_name_keys
from sijill.linkage.linker import DisjointSet, LinkResult
from sijill.names import SpellingDictionary


class _KeptApart(DisjointSet):
    """A union-find that refuses to join two groups holding a cannot-linked pair of records.

    Only records named in a cannot-link are tracked, so a register with few decisions pays
    nothing for the others.
    """

    def __init__(self, cannot_link: list[tuple[int, int]]) -> None:
        super().__init__()
        self.apart: dict[int, set[int]] = {}
        for a, b in cannot_link:
            self.apart.setdefault(a, set()).add(b)
            self.apart.setdefault(b, set()).add(a)
        self.watched: dict[int, set[int]] = {r: {r} for r in self.apart}

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        left, right = self.watched.get(ra, set()), self.watched.get(rb, set())
        if any(self.find(y) == rb for x in left for y in self.apart[x]):
            return False
        joined = super().union(a, b)
        root = self.find(a)
        if left or right:
            self.watched[root] = left | right
            self.watched.pop(rb if root == ra else ra, None)
        return joined


def _union_groups(
    ds: DisjointSet, frame: pd.DataFrame, by: list[str], method: str, method_of: dict[int, str]
) -> int:
    """Join every record of each group of equal values; return how many joins were made."""
    joins = 0
    for ids in frame.dropna(subset=by).groupby(by, sort=False)["record_id"]:
        members = ids[1].tolist()
        for other in members[1:]:
            if ds.union(members[0], other):
                joins += 1
                method_of.setdefault(other, method)
                method_of.setdefault(members[0], method)
    return joins


class DeterministicLinker:
    """Link on shared identifiers and exact keys; never on a card alone."""

    name = "deterministic"
    model: dict[str, Any] | None = None
    trainable = False

    def link(
        self,
        records: pd.DataFrame,
        *,
        spellings: SpellingDictionary,
        must_link: list[tuple[int, int]],
        cannot_link: list[tuple[int, int]],
    ) -> LinkResult:
        """Group records sharing a CNIE and birth year, or names + full birth date + sex."""
        frame = add_name_keys(records, spellings)
        ds, method_of = DisjointSet(), dict[int, str]()
        for a, b in must_link:  # a decision first: it overrides every key, and keys respect it
            ds.union(a, b)
        if cannot_link:
            guarded = _KeptApart(cannot_link)
            guarded.parent, ds = ds.parent, guarded
            guarded.watched = {ds.find(r): set() for r in guarded.apart}
            for r in guarded.apart:
                guarded.watched[ds.find(r)].add(r)
        for rid in frame["record_id"]:
            ds.find(int(rid))
        figures: dict[str, Any] = {}
        figures["cnie_joins"] = _union_groups(ds, frame, ["cnie", "birth_year"], "cnie", method_of)
        full = frame[frame["birth_precision"] == "day"]
        figures["name_dob_joins"] = _union_groups(
            ds, full, ["family_strict", "given_strict", "birth_date", "sex"], "name_dob", method_of
        )
        cluster_of = {int(r): ds.find(int(r)) for r in frame["record_id"]}
        methods = {r: method_of.get(r, "singleton") for r in cluster_of}
        return LinkResult(cluster_of, methods, dict.fromkeys(cluster_of), figures=figures)
