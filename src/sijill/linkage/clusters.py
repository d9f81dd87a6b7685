"""Cluster scored pairs into persons, resisting chains, with guards that weigh evidence.

Plain connected components over-merge: one wrong edge joins two whole persons. Here edges
are taken strongest first, and two clusters join only when nothing between them says they
differ: no reviewer's cannot-link, no pair the model scored as a clear non-match, and no pair
a guard stops. A guard stops a merge when the evidence it is about is there, and yields to
identifying evidence it cannot explain away:

- different sex;
- twins: one family name and one full birth date, and given names that are different names
  (Mohammed / Mahmoud, Abdelhak / Abdelilah), not one name with a typo (Rachid / Rachit);
- one registry twice: two records of one registry join only with strong evidence (a high
  score and no other date of birth), since a registry rarely holds a person twice.

Each yields to an equal card number (twins never share one), and to an equal household with
the same full birth date and names within a typo; a reviewer's must-link overrides them all.

The scored pairs arrive compact, one row a pair: the two record ids, the match weight and four
flags computed where the pairs are (`COMPACT_PAIRS_SQL`, in DuckDB or Spark), so that millions
of pairs cost a few numeric columns in memory. `compact_pairs` is the same in Python, for the
tests and for scoring one pair at a time.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import DamerauLevenshtein

from sijill.linkage.linker import DisjointSet, LinkResult
from sijill.linkage.spec import Thresholds

# A pair scored below this is evidence against a merge, not a weak link: no chain joins it.
CONTRADICTION_WEIGHT = 0.0
# The one-registry guard applies where a registry holds a person twice clearly less often
# than registries share one: its threshold at least this far above the link threshold.
SAME_SOURCE_MIN_OFFSET = 1.0
MAX_REVIEW_PAIRS = 20_000
COMPACT_COLUMNS = [
    "record_id_l",
    "record_id_r",
    "match_weight",
    "same_source",
    "dates_differ",
    "guarded",
    "identified",
]

# Given names are other names, not one name with a typo, when they differ in the element that
# makes the name (its first sound: Hassan / Lahcen; the divine name of a compound: Abdelmalek
# / Abdelkhalek), or by two edits or more. Where both are known in Arabic, their exact keys
# decide, which also see alif and ʿayn (Hicham / Hachem, Issam / Saad), and one edit that
# only adds, drops or changes a long vowel makes another name (Mohammed / Mahmoud, Said /
# Saad, Hamid / Ahmed, Abdellah / Abdelilah). A Latin spelling alone cannot show long vowels
# reliably (Khalid for خالد), so then its strict key decides, without the vowel rule. A name
# the guard does not read (a spelling of two names, a form no other record carries: a slip)
# is another name only when no slip explains the gap (`FAR_NAME_EDITS` apart, strict and loose).
TWIN_NAME_EDITS = 2
FAR_NAME_EDITS = 3
# Written as CASEs that reach each edit distance only where the cheaper tests leave the answer
# open (DuckDB evaluates a CASE branch only on the rows that take it, and millions of pairs
# are checked): each CASE gives the value, NULL included, of the plain AND / OR it stands for.
_HEADS_OR_VOWELS = "given_head_l <> given_head_r OR given_skeleton_l = given_skeleton_r"
OTHER_GIVEN_NAME_SQL = (
    "CASE WHEN given_form_l IS NOT NULL AND given_form_r IS NOT NULL "
    "THEN CASE WHEN given_form_l = given_form_r THEN false "
    f"WHEN {_HEADS_OR_VOWELS} THEN true "
    "ELSE (given_head_l <> given_head_r "
    f"OR damerau_levenshtein(given_form_l, given_form_r) >= {TWIN_NAME_EDITS} "
    "OR given_skeleton_l = given_skeleton_r) END "
    "WHEN given_spelt_l IS NOT NULL AND given_spelt_r IS NOT NULL "
    "THEN CASE WHEN given_spelt_l = given_spelt_r THEN false "
    "WHEN given_head_l <> given_head_r THEN true "
    "ELSE (given_head_l <> given_head_r "
    f"OR damerau_levenshtein(given_spelt_l, given_spelt_r) >= {TWIN_NAME_EDITS}) END "
    "WHEN given_strict_l = given_strict_r THEN false "
    f"ELSE damerau_levenshtein(given_strict_l, given_strict_r) >= {FAR_NAME_EDITS} "
    f"AND damerau_levenshtein(given_key_l, given_key_r) >= {TWIN_NAME_EDITS} END"
)


def _apart_sql(strict_l: str, strict_r: str) -> str:
    """Two known strict keys differ by their first sound or by two edits (never NULL)."""
    return (
        f"(CASE WHEN substr({strict_l}, 1, 1) <> substr({strict_r}, 1, 1) THEN true "
        f"ELSE damerau_levenshtein({strict_l}, {strict_r}) >= {TWIN_NAME_EDITS} END)"
    )


def _when_sql(condition: str, then: str) -> str:
    """`coalesce(condition AND then, false)`, with `then` computed only where `condition` holds."""
    return f"(CASE WHEN coalesce({condition}, false) THEN coalesce({then}, false) ELSE false END)"


# Twins, also when a record has its names in each other's field: the family name of one is
# the given name of the other, and the names left differ by their first sound or by two
# edits (Esraa / Sbah); or both records are so written, in one household.
_ONE_HOUSEHOLD = "(household_ref_l = household_ref_r OR guardian_cnie_l = guardian_cnie_r)"
SWAPPED_TWINS_SQL = (
    _when_sql("family_strict_l = given_strict_r", _apart_sql("given_strict_l", "family_strict_r"))
    + " OR "
    + _when_sql("given_strict_l = family_strict_r", _apart_sql("family_strict_l", "given_strict_r"))
    + " OR "
    + _when_sql(
        f"given_strict_l = given_strict_r AND {_ONE_HOUSEHOLD}",
        _apart_sql("family_strict_l", "family_strict_r"),
    )
)
TWINS_SQL = _when_sql(
    "birth_date_l = birth_date_r",
    f"{_when_sql('family_key_l = family_key_r', OTHER_GIVEN_NAME_SQL)} OR {SWAPPED_TWINS_SQL}",
)
# Identifying evidence no guard explains away: the same card, or the same household with the
# same full birth date and both names within a typo (the same person entered twice).
NAMES_CLOSE_SQL = (
    f"coalesce(NOT ({OTHER_GIVEN_NAME_SQL}) AND damerau_levenshtein(given_strict_l, given_strict_r) <= 1 "
    "AND damerau_levenshtein(family_strict_l, family_strict_r) <= 1, false)"
)
# The same card, or a card one keystroke off (but not in its last digit: twins who applied
# together may hold consecutive numbers). Cards of lengths two apart are never one edit off.
SAME_CARD_SQL = (
    "(CASE WHEN cnie_l = cnie_r THEN true "
    "WHEN cnie_l IS NULL OR cnie_r IS NULL OR abs(length(cnie_l) - length(cnie_r)) > 1 THEN false "
    "ELSE coalesce(damerau_levenshtein(cnie_l, cnie_r) = 1 "
    "AND substr(cnie_l, 1, length(cnie_l) - 1) <> substr(cnie_r, 1, length(cnie_r) - 1), false) END)"
)
IDENTIFIED_SQL = (
    f"(CASE WHEN {SAME_CARD_SQL} THEN true "
    "WHEN coalesce(household_ref_l = household_ref_r OR guardian_cnie_l = guardian_cnie_r, false) "
    f"AND coalesce(birth_date_l = birth_date_r, false) THEN {NAMES_CLOSE_SQL} ELSE false END)"
)
# Two full birth dates that no slip explains: fewer than two of day, month and year agree, not
# a day/month swap, and neither is a 1 January (often written for a day and month unknown).
_PARTS = ("birth_year", "birth_month", "birth_day")
OTHER_BIRTH_DATE_SQL = (
    "coalesce(birth_date_l <> birth_date_r "
    "AND NOT ((birth_year_l = birth_year_r AND birth_month_l = birth_month_r) "
    "OR (birth_year_l = birth_year_r AND birth_day_l = birth_day_r) "
    "OR (birth_month_l = birth_month_r AND birth_day_l = birth_day_r) "
    "OR (birth_month_l = birth_day_r AND birth_day_l = birth_month_r)) "
    "AND NOT ((birth_month_l = 1 AND birth_day_l = 1) OR (birth_month_r = 1 AND birth_day_r = 1)), false)"
)
GUARD_SQL = (
    f"(coalesce(sex_l <> sex_r, false) OR {TWINS_SQL} OR {OTHER_BIRTH_DATE_SQL}) AND NOT ({IDENTIFIED_SQL})"
)
COMPACT_PAIRS_SQL = (
    "SELECT record_id_l, record_id_r, match_weight, source_l = source_r AS same_source, "
    "coalesce(birth_date_l <> birth_date_r, false) AS dates_differ, "
    f"({GUARD_SQL}) AS guarded, ({IDENTIFIED_SQL}) AS identified FROM {{table}}"
)


def _known(value: object) -> bool:
    return isinstance(value, str) or (value is not None and value is not pd.NA and value == value)


def _equal(a: object, b: object) -> bool:
    """Return True where both values are known and equal (SQL's coalesce(a = b, false))."""
    return _known(a) and _known(b) and a == b


def _edits(a: object, b: object) -> int | None:
    """Return the Damerau-Levenshtein distance of two known strings, else None (SQL NULL)."""
    if not isinstance(a, str) or not isinstance(b, str):
        return None
    return int(DamerauLevenshtein.distance(a, b))


def other_given_name(row: dict[str, Any]) -> bool | None:
    """Return whether two given names are different names, as `OTHER_GIVEN_NAME_SQL` does
    (None where SQL gives NULL)."""
    form_l, form_r = row["given_form_l"], row["given_form_r"]
    if isinstance(form_l, str) and isinstance(form_r, str):
        if form_l == form_r:
            return False
        edits = _edits(form_l, form_r)
        assert edits is not None
        vowels_only = row["given_skeleton_l"] == row["given_skeleton_r"]
        return _or(_differ(row["given_head_l"], row["given_head_r"]), edits >= TWIN_NAME_EDITS, vowels_only)
    spelt_l, spelt_r = row["given_spelt_l"], row["given_spelt_r"]
    if isinstance(spelt_l, str) and isinstance(spelt_r, str):
        if spelt_l == spelt_r:
            return False
        edits = _edits(spelt_l, spelt_r)
        assert edits is not None
        return _or(_differ(row["given_head_l"], row["given_head_r"]), edits >= TWIN_NAME_EDITS)
    return _far(row, ("given_strict_l", "given_strict_r", "given_key_l", "given_key_r"))


def _far(row: dict[str, Any], columns: tuple[str, str, str, str]) -> bool | None:
    """Return whether two names are far apart on strict and loose keys, as `_far_sql` does."""
    strict = _edits(row[columns[0]], row[columns[1]])
    loose = _edits(row[columns[2]], row[columns[3]])
    return _and(
        None if strict is None else strict >= FAR_NAME_EDITS,
        None if loose is None else loose >= TWIN_NAME_EDITS,
    )


def _apart(a: object, b: object) -> bool:
    """Return whether two strict keys differ by their first sound or two edits (`_apart_sql`)."""
    edits = _edits(a, b)
    return edits is not None and (str(a)[:1] != str(b)[:1] or edits >= TWIN_NAME_EDITS)


def _swapped_twins(row: dict[str, Any]) -> bool:
    """Return whether the pair looks like twins with names in each other's field (`SWAPPED_TWINS_SQL`)."""
    left = _equal(row["family_strict_l"], row["given_strict_r"]) and _apart(
        row["given_strict_l"], row["family_strict_r"]
    )
    right = _equal(row["given_strict_l"], row["family_strict_r"]) and _apart(
        row["family_strict_l"], row["given_strict_r"]
    )
    household = _equal(row["household_ref_l"], row["household_ref_r"]) or _equal(
        row["guardian_cnie_l"], row["guardian_cnie_r"]
    )
    both = (
        _equal(row["given_strict_l"], row["given_strict_r"])
        and household
        and _apart(row["family_strict_l"], row["family_strict_r"])
    )
    return left or right or both


def _differ(a: object, b: object) -> bool | None:
    """Return a <> b with SQL's NULL: None when either is unknown."""
    return None if not _known(a) or not _known(b) else a != b


def _or(*terms: bool | None) -> bool | None:
    """Return SQL's OR of three-valued terms."""
    if any(t is True for t in terms):
        return True
    return None if any(t is None for t in terms) else False


def _and(*terms: bool | None) -> bool | None:
    """Return SQL's AND of three-valued terms."""
    if any(t is False for t in terms):
        return False
    return None if any(t is None for t in terms) else True


def _within_one(a: object, b: object) -> bool:
    edits = _edits(a, b)
    return edits is not None and edits <= 1


def same_card(a: object, b: object) -> bool:
    """Return whether two card numbers are one card, as `SAME_CARD_SQL` does."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    return a == b or (DamerauLevenshtein.distance(a, b) == 1 and a[:-1] != b[:-1])


def identified(row: dict[str, Any]) -> bool:
    """Return whether a pair carries identifying evidence, as `IDENTIFIED_SQL` does."""
    if same_card(row["cnie_l"], row["cnie_r"]):
        return True
    household = _equal(row["household_ref_l"], row["household_ref_r"]) or _equal(
        row["guardian_cnie_l"], row["guardian_cnie_r"]
    )
    if not household or not _equal(row["birth_date_l"], row["birth_date_r"]):
        return False
    return (
        other_given_name(row) is False
        and _within_one(row["given_strict_l"], row["given_strict_r"])
        and _within_one(row["family_strict_l"], row["family_strict_r"])
    )


def other_birth_date(row: dict[str, Any]) -> bool:
    """Return whether two full birth dates are two dates, as `OTHER_BIRTH_DATE_SQL` does."""
    if not (_known(row["birth_date_l"]) and _known(row["birth_date_r"])):
        return False
    if row["birth_date_l"] == row["birth_date_r"]:
        return False
    y, m, d = (_equal(row[f"{p}_l"], row[f"{p}_r"]) for p in _PARTS)
    swapped = _equal(row["birth_month_l"], row["birth_day_r"]) and _equal(
        row["birth_day_l"], row["birth_month_r"]
    )
    if (y and m) or (y and d) or (m and d) or swapped:
        return False
    first_of_year = any(_equal(row[f"birth_month_{s}"], 1) and _equal(row[f"birth_day_{s}"], 1) for s in "lr")
    return not first_of_year


def guarded(row: dict[str, Any]) -> bool:
    """Return whether a guard stops this pair, as `GUARD_SQL` does."""
    sex = _differ(row["sex_l"], row["sex_r"]) is True
    same_family = _equal(row["family_key_l"], row["family_key_r"]) and other_given_name(row) is True
    twins = _equal(row["birth_date_l"], row["birth_date_r"]) and (same_family or _swapped_twins(row))
    return (sex or twins or other_birth_date(row)) and not identified(row)


def compact_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Return the compact pairs of a frame of wide pairs, as `COMPACT_PAIRS_SQL` does."""
    rows = pairs.to_dict("records")
    return pd.DataFrame(
        {
            "record_id_l": pairs["record_id_l"],
            "record_id_r": pairs["record_id_r"],
            "match_weight": pairs["match_weight"],
            "same_source": pairs["source_l"] == pairs["source_r"],
            "dates_differ": [_differ(r["birth_date_l"], r["birth_date_r"]) is True for r in rows],
            "guarded": [guarded(r) for r in rows],
            "identified": [identified(r) for r in rows],
        },
        index=pairs.index,
    )


def reachable_pairs(left: Any, right: Any, joinable: Any, must_link: list[tuple[int, int]]) -> Any:
    """Return, for each pair, whether its records are in one component of the graph of the
    joinable edges (`joinable`, and the reviewers' must-links).

    Clustering joins records only along those edges, so a cluster never leaves its component,
    and a refused pair across two components is never asked about. At 1M persons 6.9 million
    pairs are refused (nearly all blocked pairs of different people) and 2,247 of them lie
    within a component (the largest holds 10 records): keeping only those saves the set of
    millions of keys (about 900 MB and 2 s). Components by hooking roots to the smaller label
    and halving paths, in numpy: a few rounds, each a pass over the edges.
    """
    nodes, label = component_labels(left[joinable], right[joinable], must_link)
    if not len(nodes):
        return np.zeros(len(left), dtype=bool)
    pos_l = np.minimum(np.searchsorted(nodes, left), len(nodes) - 1)
    pos_r = np.minimum(np.searchsorted(nodes, right), len(nodes) - 1)
    known = (nodes[pos_l] == left) & (nodes[pos_r] == right)
    return known & (label[pos_l] == label[pos_r])


def component_labels(left: Any, right: Any, must_link: list[tuple[int, int]]) -> tuple[Any, Any]:
    """Return the records of these edges and the reviewers' must-links (sorted ids) and the
    label of each one's connected component (the least index in it)."""
    ml = np.asarray([a for a, _ in must_link], dtype="int64")
    mr = np.asarray([b for _, b in must_link], dtype="int64")
    edge_l = np.concatenate([np.asarray(left, dtype="int64"), ml])
    edge_r = np.concatenate([np.asarray(right, dtype="int64"), mr])
    nodes = np.unique(np.concatenate([edge_l, edge_r]))
    u, v = np.searchsorted(nodes, edge_l), np.searchsorted(nodes, edge_r)
    label = np.arange(len(nodes))
    while True:
        while not np.array_equal(jumped := label[label], label):
            label = jumped
        lu, lv = label[u], label[v]
        apart = lu != lv
        if not apart.any():
            return nodes, label
        lower = np.minimum(lu[apart], lv[apart])
        np.minimum.at(label, lu[apart], lower)
        np.minimum.at(label, lv[apart], lower)


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
    one_registry_guard: bool = True
    # Refused pairs kept only where both records are in one component of the joinable edges
    # (`reachable_pairs`): the others can never be asked about. False keeps them all, the
    # plain rule, for the parity test.
    prune_blocked: bool = True

    def add_records(self, records: "pd.DataFrame | Mapping[str, Any]") -> None:
        """Add records (`record_id`, `source`: a frame or arrays) as clusters of one."""
        ids, names = np.asarray(records["record_id"]).tolist(), np.asarray(records["source"]).tolist()
        sources = {s: s for s in names}
        for rid, source in zip(ids, names, strict=True):
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
                if (
                    self.one_registry_guard
                    and self.source_of[a] == self.source_of[b]
                    and key not in self.duplicates
                ):
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
        self,
        pairs: "pd.DataFrame | Mapping[str, Any]",
        must_link: list[tuple[int, int]],
        cannot_link: list[tuple[int, int]],
    ) -> None:
        """Join records along edges above the link threshold, strongest first.

        `pairs` holds the `COMPACT_COLUMNS`, as a frame or as arrays (one record's component,
        `linkage.incremental`, is too small to pay for a frame)."""
        left = np.asarray(pairs["record_id_l"], dtype="int64")
        right = np.asarray(pairs["record_id_r"], dtype="int64")
        # Rounded, so that backends differing in the last bits decide alike.
        weights = np.round(np.asarray(pairs["match_weight"], dtype="float64"), 6)
        refused = np.asarray(pairs["guarded"], dtype=bool) | (weights < CONTRADICTION_WEIGHT)
        asked = refused
        if self.prune_blocked:
            joinable = ~refused & (weights >= self.thresholds.link)
            asked = refused & reachable_pairs(left, right, joinable, must_link)
        self.blocked = self._keys(left[asked], right[asked])
        self.blocked |= {_key(a, b) for a, b in cannot_link}
        strong = ~np.asarray(pairs["dates_differ"], dtype=bool) & (weights >= self.thresholds.same_source)
        twice = np.asarray(pairs["same_source"], dtype=bool) & (
            strong | np.asarray(pairs["identified"], dtype=bool)
        )
        self.duplicates = self._keys(left[twice], right[twice])
        self.one_registry_guard = self.thresholds.same_source >= self.thresholds.link + SAME_SOURCE_MIN_OFFSET
        for a, b in must_link:
            ra, rb = self.ds.find(a), self.ds.find(b)
            if ra != rb:
                self._join(ra, rb)
        keep = ~refused & (weights >= self.thresholds.review)
        lo, hi = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
        order = np.lexsort((hi, lo, -weights[keep]))
        for w, a, b in _ranked(weights[keep][order], lo[order], hi[order]):
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


RANKED_CHUNK = 100_000


def _ranked(weights: Any, lo: Any, hi: Any) -> Iterator[tuple[float, int, int]]:
    """Yield the edges as Python numbers a chunk at a time: millions of them at once cost
    hundreds of megabytes of Python floats and ints."""
    for start in range(0, len(weights), RANKED_CHUNK):
        end = start + RANKED_CHUNK
        yield from zip(
            weights[start:end].tolist(), lo[start:end].tolist(), hi[start:end].tolist(), strict=True
        )


def cluster_pairs(
    records: "pd.DataFrame | Mapping[str, Any]",
    pairs: "pd.DataFrame | Mapping[str, Any]",
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
