"""What a linker is and returns: records grouped into clusters, each with how and how sure."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from sijill.names import SpellingDictionary


@dataclass
class TrainedModel:
    """A model trained during a link: Splink settings and how they were learnt."""

    settings: dict[str, Any]
    training: dict[str, Any]


@dataclass
class LinkResult:
    """Records grouped into would-be persons; pairs to review; figures of the run."""

    cluster_of: dict[int, int]
    method_of: dict[int, str]
    score_of: dict[int, float | None]
    review_pairs: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    model: TrainedModel | None = None


class Linker(Protocol):
    """Anything that groups source records into persons.

    A trainable linker scores with `model` (Splink settings); when `model` is None it trains
    one during `link` and returns it in `LinkResult.model` for the register to save.
    """

    model: dict[str, Any] | None

    @property
    def trainable(self) -> bool:
        """Whether the linker learns a model (saved in the register and reused)."""
        ...

    @property
    def name(self) -> str:
        """The linker's name, recorded with each build."""
        ...

    def link(
        self,
        records: pd.DataFrame,
        *,
        spellings: SpellingDictionary,
        must_link: list[tuple[int, int]],
        cannot_link: list[tuple[int, int]],
    ) -> LinkResult:
        """Group the records; respect the reviewers' must-link and cannot-link pairs."""
        ...


@runtime_checkable
class DeltaLinker(Linker, Protocol):
    """A linker that can link only what a build changed (`linkage.delta`)."""

    @property
    def incremental(self) -> bool:
        """Whether `link_delta` can run now (a model is given, the backend supports it)."""
        ...

    def link_delta(
        self,
        records: pd.DataFrame,
        *,
        changed: list[int],
        person_of: Mapping[int, int],
        spellings: SpellingDictionary,
        spellings_before: SpellingDictionary,
        must_link: list[tuple[int, int]],
        cannot_link: list[tuple[int, int]],
    ) -> LinkResult:
        """Cluster again only the records `changed` reaches; `records` holds every record,
        `person_of` each held record's person, `spellings_before` the dictionary the register
        was linked with. The result covers the region only."""
        ...


class DisjointSet:
    """Union-find over record ids."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = parent.setdefault(x, x)
        while root != parent[root]:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        return True
