"""Clustering component by component on Spark gives the persons of the one-machine clustering."""

import numpy as np
import pandas as pd
import pytest

from sijill.linkage.clusters import cluster_pairs
from sijill.linkage.spec import Thresholds

pytest.importorskip("pyspark")


def _random_case(seed: int, records: int = 300, pairs: int = 900) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Records of three registries and scored pairs, weak and strong, some guarded, in chains."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"record_id": np.arange(1, records + 1), "source": rng.choice(["civil", "cnie", "ramed"], records)}
    )
    left = rng.integers(1, records + 1, pairs)
    right = np.clip(left + rng.integers(1, 6, pairs), 1, records)  # neighbours: chains of pairs
    keep = left != right
    left, right = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
    n = len(left)
    source = frame.set_index("record_id")["source"]
    scored = pd.DataFrame(
        {
            "record_id_l": left,
            "record_id_r": right,
            "match_weight": rng.choice([-3.0, 1.0, 3.0, 5.5, 6.0, 8.0, 12.0, 15.0, 20.0], n),
            "same_source": source.loc[left].to_numpy() == source.loc[right].to_numpy(),
            "dates_differ": rng.random(n) < 0.2,
            "guarded": rng.random(n) < 0.1,
            "identified": rng.random(n) < 0.05,
        }
    ).drop_duplicates(["record_id_l", "record_id_r"])
    return frame, scored


def _partition(cluster_of: dict[int, int]) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for record, cluster in cluster_of.items():
        groups.setdefault(cluster, set()).add(record)
    return {frozenset(g) for g in groups.values()}


@pytest.mark.slow
def test_spark_components_cluster_as_the_one_machine_clustering() -> None:
    from sijill.linkage.spark_clusters import cluster_pairs_on_spark
    from sijill.spark import spark_session

    records, pairs = _random_case(seed=1)
    must = [(int(records["record_id"].iloc[0]), int(records["record_id"].iloc[-1])), (7, 90)]
    cannot = [(int(pairs["record_id_l"].iloc[3]), int(pairs["record_id_r"].iloc[3]))]
    thresholds = Thresholds()
    local = cluster_pairs(records, pairs, thresholds, must_link=must, cannot_link=cannot)
    spark = spark_session()
    distributed = cluster_pairs_on_spark(
        spark, records, spark.createDataFrame(pairs), thresholds, must_link=must, cannot_link=cannot
    )
    assert _partition(distributed.cluster_of) == _partition(local.cluster_of)
    assert len(_partition(local.cluster_of)) < len(records)
    assert distributed.method_of == local.method_of
    assert distributed.score_of == local.score_of
    assert distributed.review_pairs == local.review_pairs
