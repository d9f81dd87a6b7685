"""The one local Spark session of a process: ingestion and linkage on Spark share it."""

import os
import sys
from typing import Any


def spark_session() -> Any:
    """Return the local Spark session sijill runs on, made once per process.

    The Python workers run this very interpreter (whose environment holds sijill), and the
    session carries Splink's similarity functions, so that every stage can use it.
    """
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("sijill")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.pyspark.python", sys.executable)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir("/tmp/sijill-spark-checkpoints")
    return spark
