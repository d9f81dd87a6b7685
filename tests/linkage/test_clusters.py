"""Clustering resists chains and obeys the guards, on hand-made scored pairs."""

import pandas as pd

from sijill.linkage.clusters import PAIR_COLUMNS, cluster_pairs, hard_guard
from sijill.linkage.spec import Thresholds

T = Thresholds(link=6.0, review=2.0, same_source=14.0)


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
    values = [a, b, w, *sources, *sex, *born, *family, *given]
    return dict(zip(PAIR_COLUMNS, values, strict=True))


def _cluster(
    records: pd.DataFrame, pairs: list[dict[str, object]], **kw: list[tuple[int, int]]
) -> dict[int, int]:
    result = cluster_pairs(
        records,
        pd.DataFrame(pairs, columns=PAIR_COLUMNS),
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
    assert hard_guard(pd.DataFrame([pair]).iloc[0]) == "different sex"
    clusters = _cluster(_records((1, "civil", None), (2, "cnie", None)), [pair])
    assert clusters[1] != clusters[2]


def test_twins_never_merge() -> None:
    pair = _pair(1, 2, 30.0, given=("YSF", "MHMD"))
    clusters = _cluster(_records((1, "civil", "1980-01-01"), (2, "civil", "1980-01-01")), [pair])
    assert clusters[1] != clusters[2]


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
        pd.DataFrame([_pair(1, 2, 4.0)], columns=PAIR_COLUMNS),
        T,
        must_link=[],
        cannot_link=[],
    )
    assert result.cluster_of[1] != result.cluster_of[2]
    assert result.review_pairs == [{"record_id_l": 1, "record_id_r": 2, "match_weight": 4.0}]
