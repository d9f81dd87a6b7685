"""An in-memory index of the register's records by the batch's blocking keys.

The candidates of an incoming record are the records a batch build would pair it with: those
sharing the key of some blocking rule of the saved model. Each rule is parsed into the columns
it equates and the sides it requires null (`BlockKey`), in both orientations (the incoming
record on the left, then on the right), so that the index finds the pairs Splink's join finds
whichever record has the lower id.

Keys are kept compact: per rule, the hashes of the stored records' keys, sorted, with the
slots they point to (16 bytes a record), plus a small dictionary of the records added since
the index was built. A hash only narrows the search: candidates are then checked column by
column, so a collision never adds a pair. Features are numpy arrays, one entry per slot.
"""

import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp

from sijill.errors import LinkageError
from sijill.linkage.online import Array, TermFrequencies, Value

NUMERIC_COLUMNS = frozenset({"birth_year", "birth_month", "birth_day"})
UNLINKED = -1


@dataclass(frozen=True)
class BlockKey:
    """One orientation of one blocking rule: the incoming record's columns (`query`) equal to
    a stored record's (`stored`), and the columns each side must hold null."""

    query: tuple[str, ...]
    stored: tuple[str, ...]
    query_null: tuple[str, ...] = ()
    stored_null: tuple[str, ...] = ()


def _part(node: exp.Expression) -> tuple[str, str] | None:
    """Return (table, part) for a column or a `substr(column, start, length)` of one, else None.

    A part is the column's name, or `name:start:length` for a substring (1-based, as in SQL;
    `name:-k:0` for the last k characters), so that a blocking rule on a card's first or last
    digits is indexed like any other.
    """
    if isinstance(node, exp.Column):
        return node.table, node.name
    if isinstance(node, exp.Substring) and isinstance(node.this, exp.Column):
        start, length = node.args.get("start"), node.args.get("length")
        if isinstance(start, exp.Literal) and isinstance(length, exp.Literal) and not start.is_string:
            return node.this.table, f"{node.this.name}:{int(start.this)}:{int(length.this)}"
        if (
            length is None
            and isinstance(start, exp.Sub)
            and isinstance(start.this, exp.Length)
            and isinstance(start.this.this, exp.Column)
            and start.this.this.name == node.this.name
            and isinstance(start.expression, exp.Literal)
        ):  # substr(c, length(c) - k): the last k + 1 characters
            return node.this.table, f"{node.this.name}:-{int(start.expression.this) + 1}:0"
    return None


def _split(part: str) -> tuple[str, int, int] | None:
    """Return (column, start, length) of a substring part, None for a plain column.

    A negative start with length 0 is a suffix: `-4` the last four characters.
    """
    if ":" not in part:
        return None
    column, start, length = part.split(":")
    return column, int(start), int(length)


def column_of(part: str) -> str:
    """Return the feature column a part reads."""
    return part.split(":", 1)[0]


def _cut(value: Any, start: int, length: int) -> Any:
    """Return SQL's `substr(value, start, length)` of a known text value; None stays None."""
    if not _known(value):
        return value
    text = str(value)
    return text[start:] if start < 0 else text[start - 1 : start - 1 + length]


def part_value(record: Mapping[str, Any], part: str) -> Any:
    """Return the value of a part (a column, or a substring of one) in a record."""
    cut = _split(part)
    if cut is None:
        return record[part]
    column, start, length = cut
    value = _cut(record[column], start, length)
    return value if value != "" else None


def _conjuncts(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Paren):
        return _conjuncts(node.this)
    if isinstance(node, exp.And):
        return _conjuncts(node.this) + _conjuncts(node.expression)
    return [node]


def block_keys(rule: str) -> tuple[BlockKey, BlockKey]:
    """Return both orientations of a blocking rule written in SQL (`l.a = r.b AND ...`).

    Example:
        >>> block_keys('l."cnie" = r."cnie"')[0]
        BlockKey(query=('cnie',), stored=('cnie',), query_null=(), stored_null=())
    """
    pairs: list[tuple[str, str]] = []
    nulls: dict[str, list[str]] = {"l": [], "r": []}
    for term in _conjuncts(cast(exp.Expression, sqlglot.parse_one(rule, read="duckdb"))):
        left_part = _part(term.this) if isinstance(term, exp.EQ) else None
        right_part = _part(term.expression) if isinstance(term, exp.EQ) else None
        if left_part is not None and right_part is not None:
            sides = dict((left_part, right_part))
            if set(sides) != {"l", "r"}:
                raise LinkageError(f"blocking rule {rule!r}: {term.sql()} does not join l to r")
            pairs.append((sides["l"], sides["r"]))
        elif isinstance(term, exp.Is) and isinstance(term.this, exp.Column) and term.this.table in nulls:
            nulls[term.this.table].append(term.this.name)
        else:
            raise LinkageError(f"blocking rule {rule!r}: the index cannot read {term.sql()!r}")
    left, right = tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)
    return (
        BlockKey(left, right, tuple(nulls["l"]), tuple(nulls["r"])),
        BlockKey(right, left, tuple(nulls["r"]), tuple(nulls["l"])),
    )


def rule_keys(rules: Iterable[str]) -> tuple[BlockKey, ...]:
    """Return the distinct orientations of the rules (a symmetric rule gives one)."""
    return tuple(dict.fromkeys(k for rule in rules for k in block_keys(rule)))


def model_rules(settings: Mapping[str, Any]) -> list[str]:
    """Return the blocking rules a saved model predicts with, as SQL."""
    return [
        r["blocking_rule"] if isinstance(r, Mapping) else str(r)
        for r in settings["blocking_rules_to_generate_predictions"]
    ]


def _known(value: Any) -> bool:
    return value is not None and value is not pd.NA and value == value


class _Parts(dict[str, Any]):
    """The parts (`part_value`) of one record, each read once however many keys use it."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        super().__init__()
        self.record = record

    def __missing__(self, part: str) -> Any:
        value = self[part] = part_value(self.record, part)
        return value


@dataclass
class _Block:
    """The records of one `BlockKey`: sorted hashes and slots, plus those added since."""

    key: BlockKey
    hashes: Array = field(default_factory=lambda: np.empty(0, dtype="int64"))
    slots: Array = field(default_factory=lambda: np.empty(0, dtype="int64"))
    added: dict[int, list[int]] = field(default_factory=dict)

    def stored_hash(self, record: Mapping[str, Any]) -> int | None:
        """Return the hash of a stored record's key, None when it is in no block of this key."""
        if any(_known(record[c]) for c in self.key.stored_null):
            return None
        values = tuple(part_value(record, c) for c in self.key.stored)
        return hash(values) if all(_known(v) for v in values) else None

    def query_hash(self, parts: Mapping[str, Any]) -> int | None:
        """Return the hash of an incoming record's key, from its parts' values (`_Parts`)."""
        if any(_known(parts[c]) for c in self.key.query_null):
            return None
        values = tuple(parts[c] for c in self.key.query)
        return hash(values) if all(_known(v) for v in values) else None

    def lookup(self, h: int) -> Array | None:
        """Return the slots holding this hash, None when none does."""
        hashes = self.hashes
        lo = int(hashes.searchsorted(h, "left"))
        hi = lo if lo == len(hashes) or hashes[lo] != h else int(hashes.searchsorted(h, "right"))
        added = self.added.get(h)
        if added is None:
            return self.slots[lo:hi] if hi > lo else None
        return np.concatenate([self.slots[lo:hi], np.asarray(added, dtype="int64")])


@dataclass
class CandidateIndex:
    """The register's records by blocking key, their features and the person each is linked to."""

    keys: tuple[BlockKey, ...]
    columns: tuple[str, ...]
    features: dict[str, Value] = field(default_factory=dict)
    record_ids: Array = field(default_factory=lambda: np.empty(0, dtype="int64"))
    persons: Array = field(default_factory=lambda: np.empty(0, dtype="int64"))
    alive: Array = field(default_factory=lambda: np.empty(0, dtype=bool))
    size: int = 0
    slot_of: dict[int, int] = field(default_factory=dict)
    members: dict[int, list[int]] = field(default_factory=dict)
    tf: TermFrequencies = field(default_factory=TermFrequencies)
    tf_columns: frozenset[str] = frozenset()
    given_seen: tuple[Counter[str], Counter[str]] = field(default_factory=lambda: (Counter(), Counter()))
    blocks: list[_Block] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        frame: pd.DataFrame,
        *,
        rules: Iterable[str],
        tf_columns: Iterable[str],
        person_of: Mapping[int, int],
        given_names: pd.DataFrame | None = None,
    ) -> "CandidateIndex":
        """Index the records of a `linkage_frame` (with `given_ar`, `given_lat` when the
        twins guard is to read given names as the batch does), linked to `person_of`."""
        index = cls(rule_keys(rules), tuple(c for c in frame.columns if c != "record_id"))
        index.tf_columns = frozenset(tf_columns)
        index._fill(frame, person_of)
        if given_names is not None:
            index.given_seen = (
                Counter(given_names["given_ar"].dropna().tolist()),
                Counter(given_names["given_lat"].dropna().tolist()),
            )
        return index

    def _fill(self, frame: pd.DataFrame, person_of: Mapping[int, int]) -> None:
        n = len(frame)
        for column in self.columns:
            values = frame[column]
            if column in NUMERIC_COLUMNS:
                arr = values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
                self.features[column] = (arr, ~np.isnan(arr))
            else:
                # One object per distinct value, shared by the slots that hold it.
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                shared = np.empty(len(uniques) + 1, dtype=object)
                shared[:-1] = np.asarray(uniques, dtype=object)
                shared[-1] = None
                self.features[column] = (shared[codes], codes >= 0)
        self.record_ids = frame["record_id"].to_numpy(dtype="int64").copy()
        self.persons = np.array([person_of.get(int(r), UNLINKED) for r in self.record_ids], dtype="int64")
        self.alive = np.ones(n, dtype=bool)
        self.size = n
        self.slot_of = {int(r): i for i, r in enumerate(self.record_ids)}
        for slot, person in enumerate(self.persons.tolist()):
            self.members.setdefault(self._cluster(slot, person), []).append(slot)
        for column in self.tf_columns:
            for value, count in Counter(v for v in frame[column].tolist() if _known(v)).items():
                self.tf.add(column, int(value) if column in NUMERIC_COLUMNS else value, count)
        for key in self.keys:
            self.blocks.append(self._block(key, frame))

    def _block(self, key: BlockKey, frame: pd.DataFrame) -> _Block:
        keep = np.ones(len(frame), dtype=bool)
        for column in key.stored_null:
            keep &= frame[column].isna().to_numpy()
        columns = []
        for part in key.stored:
            values = frame[column_of(part)].to_numpy(dtype=object)
            cut = _split(part)
            if cut is not None:
                values = np.array([_cut(v, cut[1], cut[2]) or None for v in values], dtype=object)
            keep &= pd.notna(values)
            columns.append(values)
        slots = np.flatnonzero(keep)
        columns = [c[slots] for c in columns]
        numeric = [c in NUMERIC_COLUMNS for c in key.stored]
        values = [
            [int(v) for v in col] if num else col.tolist() for col, num in zip(columns, numeric, strict=True)
        ]
        hashes = np.fromiter((hash(t) for t in zip(*values, strict=True)), dtype="int64", count=len(slots))
        order = np.argsort(hashes, kind="stable")
        return _Block(key, hashes[order], slots[order].astype("int32"))  # 2^31 records is ample

    def _cluster(self, slot: int, person: int) -> int:
        """Return the cluster a slot belongs to: its person, or itself (negated) when unlinked."""
        return person if person != UNLINKED else -int(self.record_ids[slot]) - 1

    def __len__(self) -> int:
        return len(self.slot_of)

    def _grow(self, need: int) -> None:
        capacity = len(self.record_ids)
        if need <= capacity:
            return
        new = max(need, capacity * 2, 16)

        def grown(arr: Array, fill: Any) -> Array:
            out = np.full(new, fill, dtype=arr.dtype)
            out[:capacity] = arr
            return out

        for column, (values, known) in self.features.items():
            self.features[column] = (
                grown(values, np.nan if values.dtype.kind == "f" else None),
                grown(known, False),
            )
        self.record_ids = grown(self.record_ids, 0)
        self.persons = grown(self.persons, UNLINKED)
        self.alive = grown(self.alive, False)

    def add(self, features: Mapping[str, Any], person: int | None) -> None:
        """Index a record (its `record_features`), linked to a person or not.

        A record indexed already (read again after a change elsewhere) keeps its slot, so a
        long-running matcher does not grow with every catch-up: the block entries of its old
        keys stay and are checked away by `_same_key` when the keys changed.
        """
        record_id = int(features["record_id"])
        old: dict[str, Any] | None = None
        if record_id in self.slot_of:
            slot = self.slot_of[record_id]
            old = self.row(slot)
            self.remove(record_id)
        else:
            slot = self.size
            self._grow(slot + 1)
            self.size += 1
        for column in self.columns:
            value: Any = features.get(column)
            values, known = self.features[column]
            ok = _known(value)
            values[slot] = (
                (float(value) if ok else np.nan) if values.dtype.kind == "f" else (value if ok else None)
            )
            known[slot] = ok
        self.record_ids[slot], self.alive[slot] = record_id, True
        self.persons[slot] = UNLINKED if person is None else person
        self.slot_of[record_id] = slot
        self.members.setdefault(self._cluster(slot, int(self.persons[slot])), []).append(slot)
        self._count(features, 1)
        for block in self.blocks:
            h = block.stored_hash(features)
            if h is not None and (old is None or block.stored_hash(old) != h):
                block.added.setdefault(h, []).append(slot)

    def _count(self, features: Mapping[str, Any], n: int) -> None:
        for column in self.tf_columns:
            value: Any = features.get(column)
            self.tf.add(column, int(value) if column in NUMERIC_COLUMNS and _known(value) else value, n)
        for counter, column in zip(self.given_seen, ("given_ar", "given_lat"), strict=True):
            name = features.get(column)
            if isinstance(name, str) and name:
                counter[name] += n

    def remove(self, record_id: int) -> None:
        """Take a record out of the index (superseded, withdrawn)."""
        slot = self.slot_of.pop(record_id)
        self.alive[slot] = False
        cluster = self._cluster(slot, int(self.persons[slot]))
        self.members[cluster].remove(slot)
        if not self.members[cluster]:
            del self.members[cluster]
        self._count(self.row(slot), -1)

    def move(self, record_id: int, person: int | None) -> None:
        """Record that a record is now linked to another person (or to none)."""
        slot = self.slot_of[record_id]
        old = self._cluster(slot, int(self.persons[slot]))
        self.members[old].remove(slot)
        if not self.members[old]:
            del self.members[old]
        self.persons[slot] = UNLINKED if person is None else person
        self.members.setdefault(self._cluster(slot, int(self.persons[slot])), []).append(slot)

    def row(self, slot: int) -> dict[str, Any]:
        """Return the features of one slot, as `record_features` gives them."""
        out: dict[str, Any] = {"record_id": int(self.record_ids[slot])}
        for column, (values, known) in self.features.items():
            value = values[slot] if known[slot] else None
            out[column] = int(value) if value is not None and column in NUMERIC_COLUMNS else value
        return out

    def candidates(self, features: Mapping[str, Any]) -> Array:
        """Return the slots of the live records a batch build would pair this record with."""
        found: list[Array] = []
        parts = _Parts(features)
        for block in self.blocks:
            h = block.query_hash(parts)
            if h is None:
                continue
            slots = block.lookup(h)
            if slots is not None:
                found.append(self._same_key(block.key, parts, slots))
        if not found:
            return np.empty(0, dtype="int64")
        slots = np.unique(np.concatenate(found))
        own = self.slot_of.get(int(features["record_id"]), -1)
        live: Array = slots[self.alive[slots] & (slots != own)].astype("int64", copy=False)
        return live

    def _same_key(self, key: BlockKey, parts: Mapping[str, Any], slots: Array) -> Array:
        """Keep the slots whose key truly equals the record's (hashes only narrow the search)."""
        keep = np.ones(len(slots), dtype=bool)
        for query, stored in zip(key.query, key.stored, strict=True):
            values, known = self.features[column_of(stored)]
            cut = _split(stored)
            here = values[slots]
            if cut is not None:
                here = np.array([_cut(v, cut[1], cut[2]) for v in here], dtype=object)
            keep &= known[slots] & (here == parts[query])
        return slots[keep]

    def side(
        self, slots: Array, suffix: str = "_r", columns: Iterable[str] | None = None
    ) -> dict[str, Value]:
        """Return the features of these slots (of these columns, default all) as one side of
        the scorer's columns."""
        features = self.features
        return {f"{c}{suffix}": (features[c][0][slots], features[c][1][slots]) for c in columns or features}

    def cluster_of_slot(self, slot: int) -> int:
        """Return the cluster of a slot (`members` key): its person, or the record alone."""
        return self._cluster(slot, int(self.persons[slot]))

    def memory_bytes(self) -> int:
        """Return an estimate of the index's memory: arrays, the objects they hold, the maps."""
        total = sum(v.nbytes + k.nbytes for v, k in self.features.values())
        total += self.record_ids.nbytes + self.persons.nbytes + self.alive.nbytes
        total += sum(b.hashes.nbytes + b.slots.nbytes + sys.getsizeof(b.added) for b in self.blocks)
        seen: set[int] = set()
        for values, _known_mask in self.features.values():
            if values.dtype == object:
                for v in values[: self.size]:
                    if v is not None and id(v) not in seen:
                        seen.add(id(v))
                        total += sys.getsizeof(v)
        total += sys.getsizeof(self.slot_of) + 32 * len(self.slot_of)
        total += sys.getsizeof(self.members) + sum(56 + 8 * len(m) for m in self.members.values())
        return total

    def live_slots(self) -> Sequence[int]:
        """Return the slots of the records held."""
        return list(self.slot_of.values())
