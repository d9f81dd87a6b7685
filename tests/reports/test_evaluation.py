import pandas as pd
import pytest

from sijill.reports.evaluation import _error_pairs, score_clusters, score_subset


def _frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source", "uin", "person_id"])


def test_perfect_clustering_scores_one() -> None:
    s = score_clusters(_frame([("civil", "U1", "p1"), ("cnie", "U1", "p1"), ("cnss", "U2", "p2")]))
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    assert (s.bcubed_precision, s.bcubed_recall) == (1.0, 1.0)


def test_one_false_merge_of_two_singletons() -> None:
    # predicted: {a,b}; truth: {a},{b} -> 1 predicted pair, 0 true pairs
    s = score_clusters(_frame([("civil", "U1", "p1"), ("cnie", "U1", "p2")]))
    assert s.predicted_pairs == 1 and s.true_pairs == 0 and s.true_positive_pairs == 0
    assert s.precision == 0.0 and s.recall == 1.0
    assert s.false_merge_pairs == 1
    assert s.bcubed_precision == pytest.approx(0.5)
    assert s.bcubed_recall == 1.0


def test_missed_link_in_a_three_record_person() -> None:
    # truth: {a,b,c} one person; predicted {a,b},{c}: TP=1 of 3 true pairs
    s = score_clusters(_frame([("civil", "U1", "p1"), ("cnie", "U1", "p1"), ("ramed", "U2", "p1")]))
    assert (s.true_positive_pairs, s.true_pairs, s.predicted_pairs) == (1, 3, 1)
    assert s.precision == 1.0
    assert s.recall == pytest.approx(1 / 3)
    assert s.f1 == pytest.approx(0.5)
    assert s.bcubed_recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3)


def test_errors_are_counted_by_source_pair() -> None:
    frame = _frame(
        [
            ("civil", "U1", "p1"),
            ("cnie", "U1", "p1"),
            ("ramed", "U2", "p1"),
            ("cnss", "U3", "p2"),
            ("cnie", "U3", "p3"),
        ]
    )
    assert _error_pairs(frame, "person_id", "uin") == {"civil-ramed": 1, "cnie-ramed": 1}
    assert _error_pairs(frame, "uin", "person_id") == {"cnie-cnss": 1}


def test_subset_scores_use_whole_clusters() -> None:
    frame = _frame([("civil", "U1", "p1"), ("cnie", "U1", "p1"), ("ramed", "U2", "p1")])
    s = score_subset(frame, frame["source"] == "ramed")
    assert s.records == 1 and s.bcubed_recall == pytest.approx(1 / 3) and s.missed_link_pairs == 2
