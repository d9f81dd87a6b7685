"""The probabilistic linker: our comparison spec, trained and scored by Splink."""

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from splink import Linker

from sijill.linkage.clusters import COMPACT_PAIRS_SQL, cluster_pairs
from sijill.linkage.features import linkage_frame
from sijill.linkage.linker import LinkResult, TrainedModel
from sijill.linkage.spec import GUARD_COLUMNS, LinkageSpec
from sijill.linkage.training import same_source_threshold, train
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
        trained: TrainedModel | None = None
        table = self._input_table(frame)
        if self.model is None:
            linker = Linker(table, self.spec.settings(), log_level=logging.ERROR)
            trained = train(linker, frame, run_em=self.run_em)
            settings = trained.settings
            timing["training"] = time.perf_counter() - start - sum(timing.values())
        else:
            # A model saved by an earlier version may retain fewer columns than the guards read.
            settings = {**self.model, "additional_columns_to_retain": list(GUARD_COLUMNS)}
        linker = Linker(table, settings, log_level=logging.ERROR)
        predictions = linker.inference.predict()
        sql = COMPACT_PAIRS_SQL.format(table=predictions.physical_name)
        thresholds = replace(
            self.spec.thresholds, same_source=same_source_threshold(frame, self.spec.thresholds)
        )
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
            pairs = linker.misc.query_sql(sql, output_type="pandas")
            candidates = len(pairs)
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
            self._add_evidence(linker, predictions, result)
        if trained is not None:
            result.model = trained
        return result

    def _add_evidence(self, linker: Linker, predictions: Any, result: LinkResult) -> None:
        """Attach each comparison's match weight and level to the pairs sent to review."""
        wanted = pd.DataFrame(result.review_pairs)[["record_id_l", "record_id_r"]]
        table = linker._db_api.register(wanted)
        names = [c.name for c in self.spec.comparisons]
        mw = ", ".join(f"p.mw_{n}, p.gamma_{n}" for n in names)
        sql = (
            f"select p.record_id_l, p.record_id_r, {mw} from {predictions.physical_name} p "
            f"join {table.physical_name} w on p.record_id_l = w.record_id_l "
            f"and p.record_id_r = w.record_id_r"
        )
        evidence = linker.misc.query_sql(sql, output_type="pandas")
        by_pair = {(int(r["record_id_l"]), int(r["record_id_r"])): r for r in evidence.to_dict("records")}
        for pair in result.review_pairs:
            row = by_pair.get((pair["record_id_l"], pair["record_id_r"]))
            if row:
                pair["evidence"] = {
                    n: {"match_weight": float(row[f"mw_{n}"]), "level": int(row[f"gamma_{n}"])} for n in names
                }
