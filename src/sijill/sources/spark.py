"""Ingestion on Spark, for a country that outgrows one machine.

The reader (`reader.read_chunks`, which accounts for every physical line) writes the rows of
an extract as Parquet; Spark parses them in parallel on its executors with the reference
parser itself (`records.parse_row`, whose name normalisation is cached per distinct value in
each worker), and classifies them against the file and the register with window functions;
the result, again Parquet, is loaded into the register in bulk through DuckDB. The DuckDB
path (`staging`) and this one decide every row alike: both are twins of `parse_row` (see
`tests/sources/test_staging.py` and `tests/sources/test_spark.py`).
"""

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sijill.sources.reader import ExtractFile, read_chunks
from sijill.sources.staging import PARSED_COLUMNS, _arrow_chunk
from sijill.spark import spark_session

_INTS = ("line", "span", "birth_year", "birth_month", "birth_day")


def stage_parquet(extract: ExtractFile, folder: Path, *, chunk_size: int) -> tuple[int, int, int]:
    """Write the rows of an extract as Parquet files; return (rows, lines, blank lines)."""
    rows = lines = blank = 0
    folder.mkdir(parents=True, exist_ok=True)
    for n, chunk in enumerate(read_chunks(extract, size=chunk_size)):
        rows += len(chunk)
        lines += sum(chunk.spans) + chunk.blank_lines
        blank += chunk.blank_lines
        if len(chunk):
            pq.write_table(_arrow_chunk(chunk, extract.header), folder / f"part-{n:06d}.parquet")
    return rows, lines, blank


def _parser(extract: ExtractFile, today: date) -> Any:
    """Return the function each Spark worker maps over its batches of staged rows."""
    header, fmt = extract.header, extract.format

    def parse(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from sijill.sources.records import parse_row, row_hash

        for batch in batches:
            out: dict[str, list[Any]] = {c: [] for c in PARSED_COLUMNS}
            for row in batch.itertuples(index=False):
                values = {h: getattr(row, f"c{i}") or "" for i, h in enumerate(header)}
                for column, value in _parsed(row, values, fmt, today, parse_row, row_hash).items():
                    out[column].append(value)
            yield pd.DataFrame(
                {c: pd.array(v, dtype="Int64") if c in _INTS else v for c, v in out.items()},
                columns=list(PARSED_COLUMNS),
            )

    return parse


def _parsed(
    row: Any, values: dict[str, str], fmt: Any, today: date, parse_row: Any, row_hash: Any
) -> dict[str, Any]:
    import orjson

    base: dict[str, Any] = dict.fromkeys(PARSED_COLUMNS)
    base.update(line=row.line, span=row.span, flags="[]")
    if row.problem is not None:
        return {**base, "row_hash": row.py_hash, "raw": row.py_raw, "reason": row.problem}
    parsed = parse_row(values, fmt, today=today)
    base.update(row_hash=row_hash(values), raw=orjson.dumps(values).decode(), reason=parsed.reason)
    if parsed.reason:
        return {**base, "source_id": parsed.values.get("source_id")}
    return {**base, **parsed.values, "flags": orjson.dumps(parsed.flags).decode()}


def _schema() -> Any:
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    return StructType(
        [StructField(c, LongType() if c in _INTS else StringType(), True) for c in PARSED_COLUMNS]
    )


def parse_on_spark(spark: Any, extract: ExtractFile, staged: Path, out: Path, *, today: date) -> None:
    """Parse staged Parquet rows on Spark with `parse_row`; write them to `out` as Parquet."""
    frame = spark.read.parquet(str(staged))
    parsed = frame.mapInPandas(_parser(extract, today), schema=_schema())
    parsed.write.mode("overwrite").parquet(str(out))


def parse_extract_on_spark(
    con: Any, extract: ExtractFile, *, chunk_size: int, today: date
) -> tuple[int, int, int]:
    """Stage, parse on Spark and load the parsed rows into DuckDB's `parsed` table (the table
    the DuckDB path makes), for the classification and bulk writes that follow."""
    with tempfile.TemporaryDirectory(prefix="sijill-spark-") as tmp:
        counts = stage_parquet(extract, Path(tmp) / "staged", chunk_size=chunk_size)
        columns = ", ".join(
            f"{c}::{'BIGINT' if c == 'line' else 'INTEGER' if c in _INTS else 'VARCHAR'} AS {c}"
            for c in PARSED_COLUMNS
        )
        if counts[0] == 0:
            empty = pa.table(
                {c: pa.array([], pa.int64() if c in _INTS else pa.string()) for c in PARSED_COLUMNS}
            )
            con.register("parsed_arrow", empty)
            con.execute(f"CREATE OR REPLACE TABLE parsed AS SELECT {columns} FROM parsed_arrow")
            con.unregister("parsed_arrow")
            return counts
        parsed = Path(tmp) / "parsed"
        parse_on_spark(spark_session(), extract, Path(tmp) / "staged", parsed, today=today)
        con.execute(
            f"CREATE OR REPLACE TABLE parsed AS SELECT {columns} FROM read_parquet('{parsed}/*.parquet')"
        )
    return counts
