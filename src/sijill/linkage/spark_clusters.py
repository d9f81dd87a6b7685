"""Clustering on Spark: the same chain-resistant clustering, run component by component.

Two records can only ever join along edges the clustering takes (pairs at or above the
review threshold that no guard refuses, and reviewers' must-links), so the connected
components of those edges are independent problems: the greedy agglomeration of one
component never looks at another. Spark finds the components (label propagation, a join and
an aggregate per round, as many rounds as the widest component is long), then runs
`ChainResistantClustering` on each component's pairs on its executors. The persons are those
of the one-machine clustering, pair for pair: the edges of a component are taken in the same
strongest-first order, and the review queue is cut at `MAX_REVIEW_PAIRS` in the same global
order afterwards (`tests/linkage/test_spark_clusters.py`).
"""

from typing import Any

import pandas as pd

from sijill.linkage.clusters import CONTRADICTION_WEIGHT, MAX_REVIEW_PAIRS, ChainResistantClustering
from sijill.linkage.linker import LinkResult
from sijill.linkage.spec import Thresholds

MAX_ROUNDS = 64  # a component longer than this is a chain no register holds; the run stops


def _edges(spark: Any, pairs: Any, thresholds: Thresholds, must_link: list[tuple[int, int]]) -> Any:
    """Return the undirected edges (a, b) the clustering may take."""
    from pyspark.sql import functions as F

    weight = F.round(F.col("match_weight").cast("double"), 6)
    taken = pairs.where(~F.col("guarded") & (weight >= F.lit(max(thresholds.review, CONTRADICTION_WEIGHT))))
    edges = taken.select(F.col("record_id_l").alias("a"), F.col("record_id_r").alias("b"))
    if must_link:
        forced = spark.createDataFrame([(int(a), int(b)) for a, b in must_link], "a long, b long")
        edges = edges.unionByName(forced)
    return edges.unionByName(edges.select(F.col("b").alias("a"), F.col("a").alias("b"))).distinct()


def component_labels(spark: Any, edges: Any) -> Any:
    """Return (record_id, label) for every record on an edge: the smallest id of its component.

    Each round takes the smallest label among a record's neighbours, then jumps to the label
    of its label (pointer jumping), so the rounds grow with the log of a component's length.
    """
    from pyspark.sql import functions as F

    edges = edges.cache()
    labels = edges.groupBy("a").agg(F.least(F.col("a"), F.min("b")).alias("label")).localCheckpoint()
    for _ in range(MAX_ROUNDS):
        seen = edges.join(labels.toDF("b", "seen"), "b").groupBy("a").agg(F.min("seen").alias("seen"))
        stepped = labels.join(seen, "a").select("a", F.least("label", "seen").alias("label"))
        jumped = (
            stepped.join(stepped.toDF("label", "far"), "label", "left")
            .select("a", F.least("label", F.coalesce("far", "label")).alias("label"))
            .localCheckpoint()
        )
        changed = jumped.join(labels.toDF("a", "before"), "a").where(F.col("label") < F.col("before"))
        if changed.limit(1).count() == 0:
            return jumped.withColumnRenamed("a", "record_id")
        labels = jumped
    raise RuntimeError(f"components longer than {MAX_ROUNDS} rounds: a chain no register holds")


def _with_forced(spark: Any, pairs: Any, must_link: list[tuple[int, int]]) -> Any:
    """Add a neutral row for each must-link, so that a component joined only by a reviewer
    is clustered too: weight 0 is neither a link, a review candidate nor a contradiction."""
    columns = [
        "record_id_l",
        "record_id_r",
        "match_weight",
        "same_source",
        "dates_differ",
        "guarded",
        "identified",
    ]
    base = pairs.select(*columns)
    if not must_link:
        return base
    forced = spark.createDataFrame(
        [(min(a, b), max(a, b), CONTRADICTION_WEIGHT, False, False, False, False) for a, b in must_link],
        base.schema,
    )
    return base.unionByName(forced)


def _component_clusterer(
    thresholds: Thresholds, must_link: list[tuple[int, int]], cannot_link: list[tuple[int, int]]
) -> Any:
    """Return the function each executor maps over the pairs of one component."""

    def cluster(pairs: pd.DataFrame) -> pd.DataFrame:
        ids = set(pairs["record_id_l"]) | set(pairs["record_id_r"])
        records = pd.DataFrame(
            {
                "record_id": list(pairs["record_id_l"]) + list(pairs["record_id_r"]),
                "source": list(pairs["source_l"]) + list(pairs["source_r"]),
            }
        ).drop_duplicates("record_id")
        clustering = ChainResistantClustering(thresholds)
        clustering.add_records(records)
        inside = [(a, b) for a, b in must_link if a in ids and b in ids]
        clustering.cluster(pairs, inside, [(a, b) for a, b in cannot_link if a in ids and b in ids])
        rows: list[tuple[str, int, int, float | None]] = [
            ("member", rid, clustering.ds.find(rid), clustering.best.get(rid)) for rid in clustering.source_of
        ]
        rows += [("review", r["record_id_l"], r["record_id_r"], r["match_weight"]) for r in clustering.review]
        return pd.DataFrame(rows, columns=["kind", "a", "b", "w"])

    return cluster


def cluster_pairs_on_spark(
    spark: Any,
    records: pd.DataFrame,
    pairs: Any,
    thresholds: Thresholds,
    *,
    must_link: list[tuple[int, int]],
    cannot_link: list[tuple[int, int]],
) -> LinkResult:
    """Cluster compact scored pairs held by Spark (`COMPACT_COLUMNS` and `source_l`, `source_r`)."""
    from pyspark.sql import functions as F

    labels = component_labels(spark, _edges(spark, pairs, thresholds, must_link))
    sources = spark.createDataFrame(records[["record_id", "source"]].astype({"record_id": "int64"}))
    left = labels.join(sources, "record_id").toDF("record_id_l", "label_l", "source_l")
    right = labels.join(sources, "record_id").toDF("record_id_r", "label_r", "source_r")
    inside = (
        _with_forced(spark, pairs, must_link)
        .join(left, "record_id_l")
        .join(right, "record_id_r")
        .where(F.col("label_l") == F.col("label_r"))
    )
    out = inside.groupBy("label_l").applyInPandas(
        _component_clusterer(thresholds, must_link, cannot_link),
        schema="kind string, a long, b long, w double",
    )
    found = out.toPandas()
    members = found[found["kind"] == "member"]
    root = {int(a): int(b) for a, b in zip(members["a"], members["b"], strict=True)}
    best = {
        int(a): (None if pd.isna(w) else float(w)) for a, w in zip(members["a"], members["w"], strict=True)
    }
    cluster_of = {int(r): root.get(int(r), int(r)) for r in records["record_id"]}
    return _result(cluster_of, best, found[found["kind"] == "review"], must_link)


def _result(
    cluster_of: dict[int, int],
    best: dict[int, float | None],
    review: pd.DataFrame,
    must_link: list[tuple[int, int]],
) -> LinkResult:
    size: dict[int, int] = {}
    for root in cluster_of.values():
        size[root] = size.get(root, 0) + 1
    forced = {x for pair in must_link for x in pair}
    method_of = {
        rid: "review" if rid in forced else "probabilistic" if size[root] > 1 else "singleton"
        for rid, root in cluster_of.items()
    }
    ordered = review.sort_values(["w", "a", "b"], ascending=[False, True, True]).head(MAX_REVIEW_PAIRS)
    queue = [
        {"record_id_l": int(a), "record_id_r": int(b), "match_weight": float(w)}
        for a, b, w in zip(ordered["a"], ordered["b"], ordered["w"], strict=True)
        if cluster_of[int(a)] != cluster_of[int(b)]
    ]
    score_of = {rid: best.get(rid) for rid in cluster_of}
    return LinkResult(cluster_of, method_of, score_of, review_pairs=queue)
