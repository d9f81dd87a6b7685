"""The probabilistic linker: our comparison spec, trained and scored by Splink."""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from splink import Linker

from sijill.linkage.clusters import COMPACT_PAIRS_SQL, cluster_pairs, component_labels
from sijill.linkage.delta import affected_region, cluster_region
from sijill.linkage.features import keys_moved, linkage_frame
from sijill.linkage.linker import LinkResult, TrainedModel
from sijill.linkage.spec import GUARD_COLUMNS, LinkageSpec, Thresholds
from sijill.linkage.training import same_source_threshold, sure_pairs_sql, train
from sijill.names import SpellingDictionary
from sijill.settings import get_settings

logger = logging.getLogger(__name__)


def duckdb_api() -> Any:
    """Return a Splink DuckDB backend with this machine's memory and thread limits."""
    import duckdb
    from splink import DuckDBAPI

    settings = get_settings()
    con = duckdb.connect()
    con.execute(f"SET memory_limit='{settings.duckdb_memory_limit}'")
    con.execute(f"SET threads={settings.duckdb_threads}")
    return DuckDBAPI(connection=con)


def spark_api() -> Any:
    """Return a Splink Spark backend on sijill's local Spark session."""
    from splink import SparkAPI

    from sijill.spark import spark_session

    return SparkAPI(spark_session=spark_session())


INTEGER_COLUMNS = ("record_id", "birth_year", "birth_month", "birth_day")


def typed_input(frame: pd.DataFrame, api: Any) -> Any:
    """Give the backend explicit column types, so that a column empty in this data is still
    text (or integer) and not of DuckDB's or Spark's NULL type."""
    if hasattr(api, "spark"):
        from pyspark.sql.types import LongType, StringType, StructField, StructType

        schema = StructType(
            [
                StructField(c, LongType() if c in INTEGER_COLUMNS else StringType(), True)
                for c in frame.columns
            ]
        )
        rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
        return api.spark.createDataFrame(list(rows), schema=schema)
    return frame.astype({c: "string" for c in frame.columns if c not in INTEGER_COLUMNS})


@dataclass
class SplinkLinker:
    """Link with a Fellegi-Sunter model on Splink (DuckDB, or Spark for large countries)."""

    backend: str = "duckdb"
    spec: LinkageSpec = field(default_factory=LinkageSpec)
    model: dict[str, Any] | None = None
    run_em: bool = True
    trainable: bool = field(default=True, init=False)

    @property
    def name(self) -> str:
        return f"splink-{self.backend}"

    def _api(self) -> Any:
        return spark_api() if self.backend == "spark" else duckdb_api()

    @property
    def incremental(self) -> bool:
        return self.model is not None and self.backend == "duckdb"

    def _input_table(self, frame: pd.DataFrame) -> Any:
        """Register the records once with a new backend; training and prediction share it."""
        api = self._api()
        return api.register(typed_input(frame, api))

    def link(
        self,
        records: pd.DataFrame,
        *,
        spellings: SpellingDictionary,
        must_link: list[tuple[int, int]],
        cannot_link: list[tuple[int, int]],
    ) -> LinkResult:
        """Score blocked pairs with the model (trained now when none is given), then cluster."""
        start = time.perf_counter()
        frame = linkage_frame(records, spellings)
        timing = {"features": time.perf_counter() - start}
        if frame.empty:
            return LinkResult({}, {}, {})
        table = self._input_table(frame)
        try:
            return self._link_table(frame, table, start, timing, must_link, cannot_link)
        finally:
            self._release(table)

    def _release(self, table: Any) -> None:
        """Close a link's DuckDB connection once its results are out.

        Splink's objects refer to one another, so the connection, its buffers (up to the
        memory limit) and the frames registered with it lived on until Python's cycle
        collector ran: at 1M persons, 2.3 GB held through the assignment of persons.
        """
        if self.backend == "duckdb":
            table.db_api.duckdb_con.close()

    def _link_table(
        self,
        frame: pd.DataFrame,
        table: Any,
        start: float,
        timing: dict[str, float],
        must_link: list[tuple[int, int]],
        cannot_link: list[tuple[int, int]],
    ) -> LinkResult:
        trained: TrainedModel | None = None
        if self.model is None:
            linker = Linker(table, self.spec.settings(), log_level=logging.ERROR)
            trained = train(linker, frame, run_em=self.run_em)
            settings = trained.settings
            timing["training"] = time.perf_counter() - start - sum(timing.values())
        else:
            settings = self._saved_settings()
        linker = Linker(table, settings, log_level=logging.ERROR)
        predictions = linker.inference.predict()
        sql = COMPACT_PAIRS_SQL.format(table=predictions.physical_name)
        thresholds = self._thresholds(frame, linker, table)
        if self.backend == "spark":  # pairs stay on Spark; each component clustered there
            from sijill.linkage.spark_clusters import cluster_pairs_on_spark
            from sijill.spark import spark_session

            spark_pairs = linker.misc.query_sql(sql, output_type="splink_df").as_spark_dataframe()
            candidates = int(spark_pairs.count())
            timing["prediction"] = time.perf_counter() - start - sum(timing.values())
            result = cluster_pairs_on_spark(
                spark_session(),
                frame,
                spark_pairs,
                thresholds,
                must_link=must_link,
                cannot_link=cannot_link,
            )
        else:
            pairs, candidates = clusterable_pairs(linker, sql, thresholds, must_link)
            timing["prediction"] = time.perf_counter() - start - sum(timing.values())
            result = cluster_pairs(frame, pairs, thresholds, must_link=must_link, cannot_link=cannot_link)
        timing["clustering"] = time.perf_counter() - start - sum(timing.values())
        result.figures.update(
            {
                "candidate_pairs": candidates,
                "same_source_threshold": round(thresholds.same_source, 2),
                "linker": self.name,
                "linking_seconds": {k: round(v, 2) for k, v in timing.items()},
            }
        )
        if result.review_pairs:
            self._add_evidence(linker, [predictions], result)
        if trained is not None:
            result.model = trained
        return result

    def _thresholds(self, frame: pd.DataFrame, linker: Linker, table: Any) -> Thresholds:
        """The spec's thresholds with the one-registry threshold of this frame; on DuckDB its
        sure pairs are counted where the records already are (`sure_pairs_sql`)."""
        sure = None
        if self.backend != "spark":
            counted = linker.misc.query_sql(sure_pairs_sql(table.physical_name), output_type="pandas")
            sure = (int(counted["same"].iloc[0]), int(counted["total"].iloc[0]))
        same_source = same_source_threshold(frame, self.spec.thresholds, sure=sure)
        return replace(self.spec.thresholds, same_source=same_source)

    def _saved_settings(self) -> dict[str, Any]:
        # A model saved by an earlier version may retain fewer columns than the guards read.
        assert self.model is not None
        return {**self.model, "additional_columns_to_retain": list(GUARD_COLUMNS)}

    def link_delta(
        self,
        records: pd.DataFrame,
        *,
        changed: list[int],
        person_of: Mapping[int, int],
        spellings: SpellingDictionary,
        spellings_before: SpellingDictionary,
        must_link: list[tuple[int, int]],
        cannot_link: list[tuple[int, int]],
    ) -> LinkResult:
        """Score the changed records against the register with the saved model, grow the
        region they reach and cluster it alone (`linkage.delta`). Held records whose name
        keys what the new records taught moved (`keys_moved`) count as changed too."""
        start = time.perf_counter()
        held = records["record_id"].isin(person_of.keys())
        moved = keys_moved(records, spellings_before, spellings, held)
        changed = sorted({*changed, *moved})
        frame = linkage_frame(records, spellings)
        timing = {"features": time.perf_counter() - start}
        table = self._input_table(frame)
        try:
            return self._link_delta_table(
                frame, table, start, timing, changed, moved, person_of, must_link, cannot_link
            )
        finally:
            self._release(table)

    def _link_delta_table(
        self,
        frame: pd.DataFrame,
        table: Any,
        start: float,
        timing: dict[str, float],
        changed: list[int],
        moved: list[int],
        person_of: Mapping[int, int],
        must_link: list[tuple[int, int]],
        cannot_link: list[tuple[int, int]],
    ) -> LinkResult:
        api = table.db_api
        settings = self._saved_settings()
        linker = Linker(table, settings, log_level=logging.ERROR)
        for column in _tf_columns(settings):  # over every record, as a full build's predict
            linker.table_management.compute_tf_table(column)
        timing["register"] = time.perf_counter() - start - sum(timing.values())
        predictions: list[Any] = []

        def score(ids: list[int]) -> pd.DataFrame:
            left = api.register(typed_input(frame[frame["record_id"].isin(ids)], api))
            scored = linker.inference.predict_between(left, table)
            predictions.append(scored)
            sql = COMPACT_PAIRS_SQL.format(table=scored.physical_name)
            return linker.misc.query_sql(sql, output_type="pandas")

        thresholds = self._thresholds(frame, linker, table)
        region = affected_region(
            seeds=changed, person_of=person_of, score=score, must_link=must_link, thresholds=thresholds
        )
        timing["prediction"] = time.perf_counter() - start - sum(timing.values())
        inside = frame[frame["record_id"].isin(region.records)]
        result = cluster_region(inside, region, thresholds, must_link=must_link, cannot_link=cannot_link)
        timing["clustering"] = time.perf_counter() - start - sum(timing.values())
        result.figures.update(
            {
                "candidate_pairs": len(region.pairs),
                "same_source_threshold": round(thresholds.same_source, 2),
                "linker": self.name,
                "delta": {
                    "changed_records": len(changed),
                    "keys_moved": len(moved),
                    "region_records": len(region.records),
                    "region_persons": len(region.persons),
                    "rounds": region.rounds,
                },
                "linking_seconds": {k: round(v, 2) for k, v in timing.items()},
            }
        )
        if result.review_pairs:
            self._add_evidence(linker, predictions, result)
        return result

    def _add_evidence(self, linker: Linker, predictions: list[Any], result: LinkResult) -> None:
        """Attach each comparison's match weight and level to the pairs sent to review."""
        wanted = pd.DataFrame(result.review_pairs)[["record_id_l", "record_id_r"]]
        table = linker._db_api.register(wanted)
        names = [c.name for c in self.spec.comparisons]
        mw = ", ".join(f"p.mw_{n}, p.gamma_{n}" for n in names)
        # Pairs of a delta come from several predictions, either way round.
        sql = " union all ".join(
            f"select least(p.record_id_l, p.record_id_r) as record_id_l, "
            f"greatest(p.record_id_l, p.record_id_r) as record_id_r, {mw} from {p.physical_name} p "
            f"join {table.physical_name} w on least(p.record_id_l, p.record_id_r) = w.record_id_l "
            f"and greatest(p.record_id_l, p.record_id_r) = w.record_id_r"
            for p in predictions
        )
        evidence = linker.misc.query_sql(sql, output_type="pandas")
        by_pair = {(int(r["record_id_l"]), int(r["record_id_r"])): r for r in evidence.to_dict("records")}
        for pair in result.review_pairs:
            row = by_pair.get((pair["record_id_l"], pair["record_id_r"]))
            if row:
                pair["evidence"] = {
                    n: {"match_weight": float(row[f"mw_{n}"]), "level": int(row[f"gamma_{n}"])} for n in names
                }


# Below each bound written in SQL, so that a weight clustering rounds (to 1e-6) never falls on
# the other side of it: the SQL keeps a few pairs more, never one fewer.
_SQL_MARGIN = 1e-5


def clusterable_pairs(
    linker: Linker, compact_sql: str, thresholds: Thresholds, must_link: list[tuple[int, int]]
) -> tuple[pd.DataFrame, int]:
    """Return the compact pairs clustering can use, and how many pairs were scored.

    Clustering joins along the joinable edges (not refused, at the link weight or above) and
    asks about any other pair only within one of their components (`reachable_pairs`); it
    reads the pairs from the review weight up for the review queue. At 1M persons that is
    about 2M of 8.5M pairs: the pairs stay in DuckDB, their joinable edges are labelled by
    component in numpy, and only the pairs within a component or at the review weight or
    above come into pandas. The clusters are those of all the pairs (test on a real run).
    """
    compact = linker.misc.query_sql(compact_sql, output_type="splink_df").physical_name

    def frame(sql: str) -> pd.DataFrame:
        return linker.misc.query_sql(sql, output_type="pandas")

    candidates = int(frame(f"SELECT count(*) AS n FROM {compact}")["n"].iloc[0])
    edges = frame(
        f"SELECT record_id_l, record_id_r FROM {compact} "
        f"WHERE NOT guarded AND match_weight >= {thresholds.link - _SQL_MARGIN!r}"
    )
    nodes, label = component_labels(edges["record_id_l"], edges["record_id_r"], must_link)
    labels = linker._db_api.register(pd.DataFrame({"record_id": nodes, "label": label})).physical_name
    pairs = frame(
        f"SELECT c.* FROM {compact} c "
        f"LEFT JOIN {labels} a ON a.record_id = c.record_id_l "
        f"LEFT JOIN {labels} b ON b.record_id = c.record_id_r "
        f"WHERE coalesce(a.label = b.label, false) "
        f"OR (NOT c.guarded AND c.match_weight >= {thresholds.review - _SQL_MARGIN!r})"
    )
    return pairs, candidates


def _tf_columns(settings: dict[str, Any]) -> list[str]:
    """Return the columns a model adjusts for term frequency."""
    return sorted(
        {
            str(level["tf_adjustment_column"])
            for comparison in settings["comparisons"]
            for level in comparison["comparison_levels"]
            if level.get("tf_adjustment_column")
        }
    )
