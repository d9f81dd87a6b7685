"""Training's register-wide statistics, checked against their plain definitions."""

import duckdb
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.linkage.training import _sure_pairs, sure_pairs_sql

_KEYS = ["family_strict", "given_strict", "birth_date", "cnie", "birth_year", "source"]


def _by_groupby(frame: pd.DataFrame) -> tuple[int, int]:
    """The definition: pandas' group by over each deterministic rule's keys."""
    same = total = 0
    for keys in (["family_strict", "given_strict", "birth_date"], ["cnie", "birth_year"]):
        known = frame.dropna(subset=keys)
        sizes = known.groupby(keys).size()
        total += int((sizes * (sizes - 1) // 2).sum())
        by_source = known.groupby([*keys, "source"]).size()
        same += int((by_source * (by_source - 1) // 2).sum())
    return same, total


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            *[st.sampled_from(["a", "b", None]) for _ in _KEYS[:4]],
            st.sampled_from([1980, 1981, None]),
            st.sampled_from(["civil", "cnie"]),
        ),
        max_size=40,
    )
)
def test_sure_pairs_count_as_a_group_by_does(rows: list[tuple[object, ...]]) -> None:
    frame = pd.DataFrame(rows, columns=_KEYS).astype({"birth_year": "Int64"})
    assert _sure_pairs(frame) == _by_groupby(frame) == _by_sql(frame)


def _by_sql(frame: pd.DataFrame) -> tuple[int, int]:
    """The SQL twin, on DuckDB as the linker runs it."""
    con = duckdb.connect()
    con.register("frame_view", frame)
    con.execute("CREATE TABLE frame AS SELECT * FROM frame_view")
    same, total = con.execute(sure_pairs_sql("frame")).fetchall()[0]
    return int(same), int(total)


def test_sure_pairs_on_many_records_with_many_values() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    frame = pd.DataFrame(
        {
            "family_strict": rng.integers(0, 300, n).astype(str),
            "given_strict": rng.integers(0, 200, n).astype(str),
            "birth_date": rng.integers(0, 50, n).astype(str),
            "cnie": np.where(rng.random(n) < 0.5, rng.integers(0, 20_000, n).astype(str), None),
            "birth_year": pd.array(rng.integers(1950, 1960, n), dtype="Int64"),
            "source": rng.choice(["civil", "cnie", "ramed"], n),
        }
    )
    assert _sure_pairs(frame) == _by_groupby(frame) == _by_sql(frame)
