"""Score one incoming record against many candidates in a few vectorised steps.

Splink scores pairs in SQL; the live register scores one record at a time and cannot pay a
query per record. The scorer here is compiled from the saved model itself: each level's SQL
condition (written once, in `linkage.spec`, and saved with the model) is parsed and turned
into numpy operations with SQL's three-valued logic, the first true level wins as in Splink's
CASE, and the level's weight is log2(m/u) with Splink's term-frequency adjustment:
`weight * (log2(u of the exact level) - log2(greatest(tf_l, tf_r, tf_minimum_u_value)))`.
Nothing describes the comparisons a second time, so a change to the spec changes both.

Columns are passed as `Side`s: for each column, its values and a mask of the known ones,
one entry for the incoming record (broadcast) or one per candidate.
"""

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import sqlglot
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist, cpdist
from sqlglot import exp

from sijill.errors import LinkageError

Array = npt.NDArray[Any]
# A column or an expression: its values and where they are known (not SQL NULL).
Value = tuple[Array, Array]
Env = Mapping[str, Value]
Compiled = Callable[[Env], Value]
LEVEL_NOT_OBSERVED = 1e-6  # Splink's m or u of a level never observed in training


def _known_mask(values: Array) -> Array:
    """Return where the values are known: not None, not NaN, not pandas' NA."""
    if values.dtype.kind == "f":
        return ~np.isnan(values)
    return np.fromiter((v is not None and v == v for v in values), dtype=bool, count=len(values))


def column_value(values: Iterable[Any], *, numeric: bool) -> Value:
    """Return a column as a `Value`: floats with NaN for integers, objects for text."""
    if numeric:
        arr = np.array([np.nan if _missing(v) else float(v) for v in values], dtype="float64")
    else:
        arr = np.array([None if _missing(v) else v for v in values], dtype=object)
    return arr, _known_mask(arr)


def _missing(value: Any) -> bool:
    """Return whether a value is SQL NULL: None, NaN or pandas' NA."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _and(a: Value, b: Value) -> Value:
    true = (a[0] & a[1]) & (b[0] & b[1])
    false = (~a[0] & a[1]) | (~b[0] & b[1])
    return true, true | false


def _or(a: Value, b: Value) -> Value:
    true = (a[0] & a[1]) | (b[0] & b[1])
    false = (~a[0] & a[1]) & (~b[0] & b[1])
    return true, true | false


def _edits(left: Array, right: Array) -> Array:
    """Return the Levenshtein distances of two broadcastable text arrays (NULLs as '')."""
    a = ["" if v is None else str(v) for v in left]
    b = ["" if v is None else str(v) for v in right]
    if len(a) == 1 and len(b) != 1:
        return np.asarray(cdist(a, b, scorer=Levenshtein.distance)[0], dtype="float64")
    if len(b) == 1 and len(a) != 1:
        return np.asarray(cdist(b, a, scorer=Levenshtein.distance)[0], dtype="float64")
    return np.asarray(cpdist(a, b, scorer=Levenshtein.distance), dtype="float64")


def _compare(op: Callable[[Array, Array], Array]) -> Callable[[Value, Value], Value]:
    def apply(a: Value, b: Value) -> Value:
        known = a[1] & b[1]
        with np.errstate(invalid="ignore"):
            return np.asarray(op(a[0], b[0]), dtype=bool) & known, known

    return apply


_BINARY: dict[type[exp.Expression], Callable[[Value, Value], Value]] = {
    exp.And: _and,
    exp.Or: _or,
    exp.EQ: _compare(np.equal),
    exp.NEQ: _compare(np.not_equal),
    exp.LT: _compare(np.less),
    exp.LTE: _compare(np.less_equal),
    exp.GT: _compare(np.greater),
    exp.GTE: _compare(np.greater_equal),
    exp.Sub: lambda a, b: (a[0] - b[0], a[1] & b[1]),
    exp.Add: lambda a, b: (a[0] + b[0], a[1] & b[1]),
    exp.Levenshtein: lambda a, b: (_edits(a[0], b[0]), a[1] & b[1]),
}


def _literal(node: exp.Literal) -> Compiled:
    value: Any = float(node.this) if not node.is_string else node.this
    arr = np.array([value], dtype="float64" if not node.is_string else object)
    known = np.array([True])
    return lambda _env: (arr, known)


def compile_condition(sql: str) -> Compiled:
    """Compile a level's SQL condition (DuckDB dialect) to a function of the columns.

    Example:
        >>> f = compile_condition("a_l = a_r OR a_l IS NULL")
        >>> f({"a_l": column_value(["x"], numeric=False), "a_r": column_value(["x", "y"], numeric=False)})[0]
        array([ True, False])
    """
    return _compile(cast(exp.Expression, sqlglot.parse_one(sql, read="duckdb")), sql)


def _compile(node: exp.Expression, sql: str) -> Compiled:
    if isinstance(node, exp.Paren):
        return _compile(node.this, sql)
    if isinstance(node, exp.Column):
        name = node.name
        return lambda env: env[name]
    if isinstance(node, exp.Literal):
        return _literal(node)
    if isinstance(node, exp.Boolean):
        flag = np.array([bool(node.this)])
        return lambda _env: (flag, np.array([True]))
    if isinstance(node, exp.Not):
        inner = _compile(node.this, sql)
        return lambda env: (lambda v: (~v[0] & v[1], v[1]))(inner(env))
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        inner = _compile(node.this, sql)
        return lambda env: (~inner(env)[1], np.array([True]))
    if isinstance(node, exp.Abs):
        inner = _compile(node.this, sql)
        return lambda env: (lambda v: (np.abs(v[0]), v[1]))(inner(env))
    binary = _BINARY.get(type(node))
    if binary is not None:
        left, right = _compile(node.this, sql), _compile(node.expression, sql)
        return lambda env: binary(left(env), right(env))
    raise LinkageError(f"the online scorer cannot read {node.sql()!r} in the level condition {sql!r}")


def condition_columns(sql: str) -> set[str]:
    """Return the `<column>_l` / `<column>_r` names a condition reads."""
    return {c.name for c in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Column)}


def _probability(value: Any) -> float:
    """Return a saved m or u probability as Splink reads it."""
    return LEVEL_NOT_OBSERVED if isinstance(value, str) else float(value)


@dataclass(frozen=True)
class OnlineLevel:
    """One non-null, non-else level: its condition, weight and term-frequency adjustment."""

    label: str
    condition: Compiled
    match_weight: float
    tf_column: str | None = None
    tf_weight: float = 0.0
    log2_u_exact: float = 0.0
    tf_minimum_u: float = 0.0


@dataclass(frozen=True)
class OnlineComparison:
    """A comparison compiled from the saved model: null condition, levels, else weight."""

    name: str
    null: Compiled | None
    levels: tuple[OnlineLevel, ...]
    else_weight: float

    @property
    def top_gamma(self) -> int:
        """Splink's comparison vector value of the first level."""
        return len(self.levels)


def _level_weight(level: Mapping[str, Any]) -> float:
    m, u = _probability(level["m_probability"]), _probability(level["u_probability"])
    return math.log2(m / u)


def _exact_u(levels: list[Mapping[str, Any]], column: str) -> float:
    """Return the u of the level that is exactly `column_l = column_r` (Splink's rule)."""
    wanted = {f"{column}_l = {column}_r".lower(), f"{column}_r = {column}_l".lower()}
    for level in levels:
        if " ".join(str(level.get("sql_condition", "")).lower().split()) in wanted:
            return _probability(level["u_probability"])
    raise LinkageError(f"no exact match level on {column!r} for its term-frequency adjustment")


def _compile_comparison(saved: Mapping[str, Any]) -> OnlineComparison:
    levels: list[Mapping[str, Any]] = saved["comparison_levels"]
    null: Compiled | None = None
    compiled: list[OnlineLevel] = []
    else_weight = 0.0
    for level in levels:
        sql = str(level["sql_condition"])
        if level.get("is_null_level"):
            null = compile_condition(sql)
        elif sql.strip().upper() == "ELSE":
            else_weight = _level_weight(level)
        else:
            tf = level.get("tf_adjustment_column")
            compiled.append(
                OnlineLevel(
                    label=str(level.get("label_for_charts", sql)),
                    condition=compile_condition(sql),
                    match_weight=_level_weight(level),
                    tf_column=tf,
                    tf_weight=float(level.get("tf_adjustment_weight", 1.0)) if tf else 0.0,
                    log2_u_exact=math.log2(_exact_u(levels, tf)) if tf else 0.0,
                    tf_minimum_u=float(level.get("tf_minimum_u_value", 0.0)),
                )
            )
    return OnlineComparison(str(saved["output_column_name"]), null, tuple(compiled), else_weight)


@dataclass
class TermFrequencies:
    """Counts of each value of the term-frequency columns, as Splink's tf tables hold them
    (a value's share of the known values of its column)."""

    counts: dict[str, Counter[Any]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    def add(self, column: str, value: Any, n: int = 1) -> None:
        """Count a value (or uncount it, with a negative `n`); unknown values are not counted."""
        if _missing(value):
            return
        counter = self.counts.setdefault(column, Counter())
        counter[value] += n
        if counter[value] <= 0:
            del counter[value]
        self.totals[column] = self.totals.get(column, 0) + n

    def of(self, column: str, values: Value) -> Array:
        """Return the term frequency of each value, NaN where the value is unknown or uncounted."""
        counter, total = self.counts.get(column, Counter()), self.totals.get(column, 0)
        out = np.full(len(values[0]), np.nan)
        for i, (value, known) in enumerate(zip(values[0], values[1], strict=True)):
            if known and total and (n := counter.get(_tf_key(value), 0)):
                out[i] = n / total
        return out


def _tf_key(value: Any) -> Any:
    return int(value) if isinstance(value, float) else value


@dataclass(frozen=True)
class Scores:
    """The scores of pairs: total match weight and, per comparison, its weight and level."""

    match_weight: Array
    weights: dict[str, Array]
    gammas: dict[str, Array]

    @property
    def probability(self) -> Array:
        """Splink's match probability, 2^w / (1 + 2^w)."""
        return 1.0 / (1.0 + np.exp2(-self.match_weight))


@dataclass(frozen=True)
class OnlineScorer:
    """Score pairs with a saved Splink model, vectorised, with no SQL engine."""

    comparisons: tuple[OnlineComparison, ...]
    prior_weight: float
    columns: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "OnlineScorer":
        """Compile the scorer of a saved model (`linkage.service.latest_model().settings`)."""
        prior = float(settings["probability_two_random_records_match"])
        comparisons = tuple(_compile_comparison(c) for c in settings["comparisons"])
        columns = {
            name[:-2]
            for c in settings["comparisons"]
            for level in c["comparison_levels"]
            if str(level["sql_condition"]).strip().upper() != "ELSE"
            for name in condition_columns(str(level["sql_condition"]))
        }
        return cls(comparisons, math.log2(prior / (1.0 - prior)), frozenset(columns))

    @property
    def tf_columns(self) -> frozenset[str]:
        """The columns whose term frequencies adjust a level."""
        return frozenset(lv.tf_column for c in self.comparisons for lv in c.levels if lv.tf_column)

    def score(self, env: Env, size: int, tf: TermFrequencies) -> Scores:
        """Score `size` pairs whose columns (`<column>_l`, `<column>_r`) are in `env`."""
        total = np.full(size, self.prior_weight)
        weights: dict[str, Array] = {}
        gammas: dict[str, Array] = {}
        tf_of: dict[str, Array] = {}
        for comparison in self.comparisons:
            weight, gamma = self._score_one(comparison, env, size, tf, tf_of)
            weights[comparison.name], gammas[comparison.name] = weight, gamma
            total += weight
        return Scores(total, weights, gammas)

    def _score_one(
        self, comparison: OnlineComparison, env: Env, size: int, tf: TermFrequencies, tf_of: dict[str, Array]
    ) -> tuple[Array, Array]:
        """Return one comparison's weight and level for each pair (Splink's CASE, in order)."""
        weight = np.full(size, comparison.else_weight)
        gamma = np.zeros(size, dtype="int64")
        open_ = np.ones(size, dtype=bool)
        if comparison.null is not None:
            hit = _truth(comparison.null(env), size)
            weight[hit], gamma[hit], open_ = 0.0, -1, ~hit
        for i, level in enumerate(comparison.levels):
            if not open_.any():
                break
            hit = _truth(level.condition(env), size) & open_
            open_ &= ~hit
            weight[hit] = level.match_weight
            gamma[hit] = comparison.top_gamma - i
            if level.tf_column and level.tf_weight and hit.any():
                weight[hit] += self._tf_adjustment(level, env, size, tf, tf_of)[hit]
        return weight, gamma

    def _tf_adjustment(
        self, level: OnlineLevel, env: Env, size: int, tf: TermFrequencies, tf_of: dict[str, Array]
    ) -> Array:
        """Return Splink's term-frequency adjustment of a level for each pair."""
        column = str(level.tf_column)
        if column not in tf_of:
            left = np.broadcast_to(tf.of(column, env[f"{column}_l"]), size)
            right = np.broadcast_to(tf.of(column, env[f"{column}_r"]), size)
            either = np.fmax(left, right)  # greatest(coalesce(l, r), coalesce(r, l))
            tf_of[column] = np.where(np.isnan(either), np.nan, np.fmax(either, level.tf_minimum_u))
        value = tf_of[column]
        with np.errstate(divide="ignore", invalid="ignore"):
            adjustment = level.tf_weight * (level.log2_u_exact - np.log2(value))
        return np.where(np.isnan(value), 0.0, adjustment)


def _truth(value: Value, size: int) -> Array:
    """Return where a condition is true (SQL NULL counts as false), one entry a pair."""
    truth = value[0] & value[1]
    return truth if truth.shape == (size,) else np.full(size, bool(truth[0]))
