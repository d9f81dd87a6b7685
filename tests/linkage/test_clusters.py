"""Clustering resists chains and obeys the guards, on hand-made scored pairs."""

import duckdb
import pandas as pd

from sijill.linkage.clusters import COMPACT_PAIRS_SQL, cluster_pairs, compact_pairs
from sijill.linkage.spec import Thresholds

T = Thresholds(link=6.0, review=2.0, same_source=14.0)
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
    "given_strict_l",
    "given_strict_r",
]


def _records(*rows: tuple[int, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id", "source", "birth_date"])


def _pair(
    a: int,
    b: int,
    w: float,
    *,
    sources: tuple[str, str] = ("civil", "cnie"),
    sex: tuple[str, str] = ("M", "M"),
    born: tuple[str, str] = ("1980-01-01", "1980-01-01"),
    family: tuple[str, str] = ("LW", "LW"),
    given: tuple[str, str] = ("MHMD", "MHMD"),
) -> dict[str, object]:
    values = [a, b, w, *sources, *sex, *born, *family, *given, *given]
    return dict(zip(PAIR_COLUMNS, values, strict=True))


def _cluster(
    records: pd.DataFrame, pairs: list[dict[str, object]], **kw: list[tuple[int, int]]
) -> dict[int, int]:
    result = cluster_pairs(
        records,
        compact_pairs(pd.DataFrame(pairs, columns=PAIR_COLUMNS)),
        T,
        must_link=kw.get("must", []),
        cannot_link=kw.get("cannot", []),
    )
    return result.cluster_of


def test_strong_pairs_link() -> None:
    clusters = _cluster(_records((1, "civil", None), (2, "cnie", None)), [_pair(1, 2, 20.0)])
    assert clusters[1] == clusters[2]


def test_different_sex_never_links_whatever_the_score() -> None:
    pair = _pair(1, 2, 40.0, sex=("M", "F"))
    assert compact_pairs(pd.DataFrame([pair], columns=PAIR_COLUMNS))["guarded"].tolist() == [True]
    clusters = _cluster(_records((1, "civil", None), (2, "cnie", None)), [pair])
    assert clusters[1] != clusters[2]


def test_twins_never_merge() -> None:
    pair = _pair(1, 2, 30.0, given=("HSN", "HUSIN"))  # Hassan and Houssine
    clusters = _cluster(_records((1, "civil", "1980-01-01"), (2, "cnie", "1980-01-01")), [pair])
    assert clusters[1] != clusters[2]


def test_twins_named_mohammed_and_ahmed_never_merge() -> None:
    pair = _pair(1, 2, 30.0, given=("MHMD", "HMD"))
    clusters = _cluster(_records((1, "civil", "1980-01-01"), (2, "massar", "1980-01-01")), [pair])
    assert clusters[1] != clusters[2]


def test_a_typo_in_the_given_name_is_not_taken_for_twins() -> None:
    pair = _pair(1, 2, 30.0, given=("RCID", "RCIT"))  # Rachid, Rachit
    clusters = _cluster(_records((1, "civil", "1980-01-01"), (2, "cnie", "1980-01-01")), [pair])
    assert clusters[1] == clusters[2]


def test_two_records_of_one_registry_need_strong_evidence() -> None:
    recs = _records((1, "ramed", "1980-01-01"), (2, "ramed", "1980-01-01"))
    weak = _cluster(recs, [_pair(1, 2, 10.0, sources=("ramed", "ramed"))])
    strong = _cluster(recs, [_pair(1, 2, 20.0, sources=("ramed", "ramed"))])
    assert weak[1] != weak[2]
    assert strong[1] == strong[2]


def test_same_registry_with_different_birth_dates_stays_apart() -> None:
    recs = _records((1, "civil", "2023-05-22"), (2, "civil", "2023-06-20"))
    pair = _pair(1, 2, 25.0, sources=("civil", "civil"), born=("2023-05-22", "2023-06-20"))
    clusters = _cluster(recs, [pair])
    assert clusters[1] != clusters[2]


def test_a_chain_does_not_merge_what_a_contradiction_separates() -> None:
    # 1-2 strong, 2-3 strong, but 1 and 3 were scored as a clear non-match.
    recs = _records((1, "civil", None), (2, "cnie", None), (3, "cnss", None))
    pairs = [
        _pair(1, 2, 25.0),
        _pair(2, 3, 12.0, sources=("cnie", "cnss")),
        _pair(1, 3, -8.0, sources=("civil", "cnss")),
    ]
    clusters = _cluster(recs, pairs)
    assert clusters[1] == clusters[2]
    assert clusters[3] != clusters[1]


def test_connected_components_would_have_merged_the_chain() -> None:
    recs = _records((1, "civil", None), (2, "cnie", None), (3, "cnss", None))
    pairs = [_pair(1, 2, 25.0), _pair(2, 3, 12.0, sources=("cnie", "cnss"))]
    clusters = _cluster(recs, pairs)
    assert clusters[1] == clusters[2] == clusters[3]


def test_reviewers_decisions_override_the_model() -> None:
    recs = _records((1, "civil", None), (2, "cnie", None), (3, "cnss", None))
    pairs = [_pair(1, 2, 25.0), _pair(2, 3, 3.0, sources=("cnie", "cnss"))]
    clusters = _cluster(recs, pairs, must=[(2, 3)], cannot=[(1, 2)])
    assert clusters[2] == clusters[3]
    assert clusters[1] != clusters[2]


def test_uncertain_pairs_go_to_review() -> None:
    recs = _records((1, "civil", None), (2, "cnie", None))
    result = cluster_pairs(
        recs,
        compact_pairs(pd.DataFrame([_pair(1, 2, 4.0)], columns=PAIR_COLUMNS)),
        T,
        must_link=[],
        cannot_link=[],
    )
    assert result.cluster_of[1] != result.cluster_of[2]
    assert result.review_pairs == [{"record_id_l": 1, "record_id_r": 2, "match_weight": 4.0}]


def test_the_sql_guards_agree_with_the_python_ones() -> None:
    wide = pd.DataFrame(
        [
            _pair(1, 2, 9.0),
            _pair(1, 3, 9.0, sex=("M", "F")),
            _pair(2, 3, 9.0, given=("YSF", "MHMD")),
            _pair(3, 4, 9.0, born=("1980-01-01", None)),
            _pair(4, 5, 9.0, sex=("M", None)),
            _pair(5, 6, 9.0, sources=("ramed", "ramed"), born=("1980-01-01", "1981-01-01")),
            _pair(6, 7, 9.0, given=("YSF", None)),
            _pair(7, 8, 9.0, given=("MHMD", "HMD")),
            _pair(8, 9, 9.0, given=("RCID", "RCIT")),
        ],
        columns=PAIR_COLUMNS,
    )
    con = duckdb.connect()
    con.register("wide", wide)
    by_sql = con.execute(COMPACT_PAIRS_SQL.format(table="wide") + " ORDER BY 1, 2").df()
    by_python = compact_pairs(wide).sort_values(["record_id_l", "record_id_r"]).reset_index(drop=True)
    for column in ("same_source", "dates_differ", "guarded"):
        assert by_sql[column].astype(bool).tolist() == by_python[column].astype(bool).tolist(), column
