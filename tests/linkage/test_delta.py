"""The region a delta clusters again: whole persons, reached through joinable pairs only."""

import pandas as pd

from sijill.linkage.delta import PairScorer, affected_region, cluster_region
from sijill.linkage.spec import Thresholds

THRESHOLDS = Thresholds(link=6.0, review=2.0, same_source=14.0)


def _scorer(pairs: list[tuple[int, int, float, bool]]) -> PairScorer:
    """Return a scorer over fixed pairs, each given record on the left."""

    def score(ids: list[int]) -> pd.DataFrame:
        rows = []
        for a, b, w, guarded in pairs:
            for left, right in ((a, b), (b, a)):
                if left in ids:
                    rows.append((left, right, w, False, False, guarded, False))
        return pd.DataFrame(
            rows,
            columns=[
                "record_id_l",
                "record_id_r",
                "match_weight",
                "same_source",
                "dates_differ",
                "guarded",
                "identified",
            ],
        )

    return score


def test_the_region_grows_through_joinable_pairs_to_whole_persons() -> None:
    person_of = {1: 10, 2: 10, 3: 20, 4: 20, 5: 30, 6: 40, 7: 50}
    pairs = [
        (100, 1, 9.0, False),  # the new record reaches person 10
        (2, 3, 7.0, False),  # whose record 2 reaches person 20 (a second round)
        (4, 5, 9.0, True),  # a guarded pair: person 30 is not reached
        (100, 6, 3.0, False),  # below the link threshold: person 40 only queued for review
    ]
    region = affected_region(
        seeds=[100], person_of=person_of, score=_scorer(pairs), must_link=[(4, 7)], thresholds=THRESHOLDS
    )
    assert region.records == {100, 1, 2, 3, 4, 7}
    assert region.persons == {10, 20, 50}
    assert region.rounds == 3


def test_pairs_across_the_region_go_to_review_and_never_join() -> None:
    person_of = {1: 10, 6: 40}
    pairs = [(100, 1, 9.0, False), (100, 6, 3.0, False)]
    region = affected_region(
        seeds=[100], person_of=person_of, score=_scorer(pairs), must_link=[], thresholds=THRESHOLDS
    )
    frame = pd.DataFrame({"record_id": [1, 100], "source": ["civil", "cnie"]})
    result = cluster_region(frame, region, THRESHOLDS, must_link=[], cannot_link=[])
    assert result.cluster_of[1] == result.cluster_of[100]
    assert 6 not in result.cluster_of
    assert [(p["record_id_l"], p["record_id_r"]) for p in result.review_pairs] == [(6, 100)]
