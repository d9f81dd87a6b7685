"""Golden attributes of persons: each taken from the most trusted record that has it."""

from typing import Any

import numpy as np
import orjson
import pandas as pd

from sijill.register.models import PERSON_ACTIVE, PERSON_DECEASED

# Which registry is trusted first for each attribute.
TRUST: dict[str, tuple[str, ...]] = {
    "family_ar": ("civil", "cnie", "massar", "cnss", "ramed"),
    "given_ar": ("civil", "cnie", "massar", "cnss", "ramed"),
    "family_lat": ("cnie", "civil", "massar", "cnss", "ramed"),
    "given_lat": ("cnie", "civil", "massar", "cnss", "ramed"),
    "sex": ("civil", "cnie", "massar", "cnss", "ramed"),
    "birth_date": ("civil", "cnie", "massar", "cnss", "ramed"),
    "death_date": ("civil",),
}
_CHUNK = 2000
GOLDEN_FIELDS = _FIELDS = [
    "family_ar",
    "given_ar",
    "family_lat",
    "given_lat",
    "sex",
    "birth_date",
    "death_date",
]


_RANK = {attr: {src: i for i, src in enumerate(order)} for attr, order in TRUST.items()}


def _best(records: list[Any], attribute: str) -> tuple[Any, dict[str, str] | None]:
    """Return the value of the most trusted record holding it (full dates before years)."""
    rank = _RANK[attribute]
    best: Any = None
    best_key: tuple[int, int, str] | None = None
    for r in records:
        value = getattr(r, attribute)
        if not value or (attribute == "death_date" and r.source not in rank):
            continue
        key = (int(attribute == "birth_date" and len(value) < 10), rank.get(r.source, 9), r.source_id or "")
        if best_key is None or key < best_key:
            best, best_key = r, key
    if best is None:
        return None, None
    return getattr(best, attribute), {"source": best.source, "source_id": best.source_id}


def golden_of(records: list[Any]) -> dict[str, Any]:
    """Return the golden attributes and their provenance from one person's records."""
    values: dict[str, Any] = {}
    provenance: dict[str, Any] = {}
    for attribute in _FIELDS:
        value, origin = _best(records, attribute)
        values[attribute] = value
        if origin:
            provenance[attribute] = origin
    values["provenance"] = provenance
    values["status"] = PERSON_DECEASED if values["death_date"] else PERSON_ACTIVE
    return values


_POS_BITS = 36  # a record's position in (source, source id) order, below the rank bits


def _goldens_sql() -> str:
    """One pass over the records: per person and attribute, the value of the best record.

    The SQL twin of `golden_of` (a full birth date before a year, then trust, then source id);
    the provenance is written as JSON here, so that no Python object is made per attribute.
    The best record of each attribute is the least of one integer, (year only, trust rank,
    position in (source, source id) order) packed in bits, and its value, source and source
    id are then joined by that position: the aggregate holds seven integers a person, where
    carrying each candidate's strings took 4.2 GB for 1M persons. Equal ranks are one
    registry (each rank is one source), so the position orders them by source id as the
    string comparison does.
    """
    keys, joins, entries, values = [], [], [], []
    mask = (1 << _POS_BITS) - 1
    for n, attribute in enumerate(_FIELDS):
        rank = "CASE r.source " + " ".join(f"WHEN '{src}' THEN {i}" for src, i in _RANK[attribute].items())
        rank += " ELSE 9 END" if attribute != "death_date" else " END"
        partial = "length(r.birth_date) < 10" if attribute == "birth_date" else "false"
        held = f"r.{attribute} IS NOT NULL AND r.{attribute} <> ''"
        if attribute == "death_date":
            held += f" AND {rank} IS NOT NULL"
        key = f"(({partial})::BIGINT << {_POS_BITS + 4}) | (({rank})::BIGINT << {_POS_BITS}) | r.pos"
        keys.append(f"min({key}) FILTER (WHERE {held}) AS k{n}")
        joins.append(f"LEFT JOIN records b{n} ON b{n}.pos = p.k{n} & {mask}")
        values.append(f"b{n}.{attribute} AS {attribute}_v")
        entries.append(
            f"{{'key': '{attribute}', 'value': {{'source': b{n}.source, 'source_id': b{n}.source_id}}}}"
        )
    provenance = (
        f"to_json(map_from_entries(list_filter([{', '.join(entries)}], "
        "lambda e: e.value.source IS NOT NULL)))::VARCHAR"
    )
    death = f"b{_FIELDS.index('death_date')}.death_date"
    return f"""
      WITH picked AS (
        SELECT m.person, {", ".join(keys)}
        FROM members m JOIN records r ON r.record_id = m.record_id GROUP BY m.person
      )
      SELECT p.person, {", ".join(values)}, {provenance} AS provenance,
        CASE WHEN {death} IS NOT NULL THEN '{PERSON_DECEASED}' ELSE '{PERSON_ACTIVE}' END AS status
      FROM picked p {" ".join(joins)} ORDER BY p.person
    """


def in_content_order(records: pd.DataFrame) -> bool:
    """Return True when the records are in (source, source id) order, as Python compares."""
    source = records["source"].to_numpy(dtype=object)
    source_id = records["source_id"].to_numpy(dtype=object)
    if len(source) < 2:
        return True
    if records["source"].isna().any() or records["source_id"].isna().any():
        return False
    same = source[1:] == source[:-1]
    return bool(np.all((source[1:] > source[:-1]) | (same & (source_id[1:] >= source_id[:-1]))))


def _positions(records: pd.DataFrame) -> Any:
    """Return each record's position (from 1) in (source, source id) order."""
    if in_content_order(records):  # as `load_records` reads them: no sort of millions
        return np.arange(1, len(records) + 1, dtype="int64")
    keys = pd.DataFrame({"s": records["source"].to_numpy(), "i": records["source_id"].to_numpy()})
    order = keys.sort_values(["s", "i"], kind="stable").index.to_numpy()
    positions = np.empty(len(order), dtype="int64")
    positions[order] = np.arange(1, len(order) + 1)
    return positions


def golden_rows(records: pd.DataFrame, person_of: dict[int, int]) -> list[tuple[Any, ...]]:
    """Return (person, *GOLDEN_FIELDS, provenance JSON, status) of many persons, in DuckDB.

    `records` holds record_id, source, source_id and the golden fields; `person_of` maps
    each record to its person (or to a cluster standing for a person to be).
    """
    import pyarrow as pa

    from sijill.sources.staging import duckdb_connection

    if not person_of:
        return []
    schema = pa.schema(
        [("record_id", pa.int64()), *((c, pa.string()) for c in ("source", "source_id", *_FIELDS))]
    )
    frame = pa.Table.from_pandas(records[schema.names], schema=schema, preserve_index=False)
    frame = frame.append_column("pos", pa.array(_positions(records), pa.int64()))
    members = pa.table(
        {
            "record_id": pa.array(list(person_of), pa.int64()),
            "person": pa.array(list(person_of.values()), pa.int64()),
        }
    )
    # With the configured memory limit (spilling beyond it): unlimited, the earlier query
    # (each candidate's strings in the aggregate) took 4.2 GB for the goldens of 1M persons.
    con = duckdb_connection()
    try:
        con.register("records", frame)
        con.register("members", members)
        return [tuple(r) for r in con.execute(_goldens_sql()).fetchall()]
    finally:
        con.close()


def goldens_of(records: pd.DataFrame, person_of: dict[int, int]) -> dict[int, dict[str, Any]]:
    """Return the golden attributes of many persons at once (as `golden_of`), by person."""
    goldens: dict[int, dict[str, Any]] = {}
    for person, *values, provenance, status in golden_rows(records, person_of):
        g: dict[str, Any] = dict(zip(_FIELDS, values, strict=True))
        g["provenance"], g["status"] = orjson.loads(provenance), status
        goldens[int(person)] = g
    return goldens
