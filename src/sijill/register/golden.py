"""Golden attributes of persons: each taken from the most trusted record that has it."""

from typing import Any

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


def _goldens_sql() -> str:
    """One pass over the records: per person and attribute, the value of the best record.

    The SQL twin of `golden_of` (a full birth date before a year, then trust, then source id);
    the provenance is written as JSON here, so that no Python object is made per attribute.
    """
    picks, entries = [], []
    for attribute in _FIELDS:
        rank = "CASE r.source " + " ".join(f"WHEN '{src}' THEN {i}" for src, i in _RANK[attribute].items())
        rank += " ELSE 9 END" if attribute != "death_date" else " END"
        partial = "length(r.birth_date) < 10" if attribute == "birth_date" else "false"
        key = f"({partial}, {rank}, r.source_id)"
        held = f"r.{attribute} IS NOT NULL AND r.{attribute} <> ''"
        if attribute == "death_date":
            held += f" AND {rank} IS NOT NULL"
        for part, expr in (("v", f"r.{attribute}"), ("s", "r.source"), ("i", "r.source_id")):
            picks.append(f"arg_min({expr}, {key}) FILTER (WHERE {held}) AS {attribute}_{part}")
        entries.append(
            f"{{'key': '{attribute}', 'value': {{'source': {attribute}_s, 'source_id': {attribute}_i}}}}"
        )
    values = ", ".join(f"{a}_v" for a in _FIELDS)
    provenance = (
        f"to_json(map_from_entries(list_filter([{', '.join(entries)}], "
        "lambda e: e.value.source IS NOT NULL)))::VARCHAR"
    )
    return f"""
      WITH picked AS (
        SELECT m.person, {", ".join(picks)}
        FROM members m JOIN records r ON r.record_id = m.record_id GROUP BY m.person
      )
      SELECT person, {values}, {provenance} AS provenance,
        CASE WHEN death_date_v IS NOT NULL THEN '{PERSON_DECEASED}' ELSE '{PERSON_ACTIVE}' END AS status
      FROM picked ORDER BY person
    """


def golden_rows(records: pd.DataFrame, person_of: dict[int, int]) -> list[tuple[Any, ...]]:
    """Return (person, *GOLDEN_FIELDS, provenance JSON, status) of many persons, in DuckDB.

    `records` holds record_id, source, source_id and the golden fields; `person_of` maps
    each record to its person (or to a cluster standing for a person to be).
    """
    import duckdb
    import pyarrow as pa

    if not person_of:
        return []
    schema = pa.schema(
        [("record_id", pa.int64()), *((c, pa.string()) for c in ("source", "source_id", *_FIELDS))]
    )
    frame = pa.Table.from_pandas(records[schema.names], schema=schema, preserve_index=False)
    members = pa.table(
        {
            "record_id": pa.array(list(person_of), pa.int64()),
            "person": pa.array(list(person_of.values()), pa.int64()),
        }
    )
    con = duckdb.connect()
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
