"""Golden attributes of persons: each taken from the most trusted record that has it."""

from typing import Any

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

    The SQL twin of `golden_of` (a full birth date before a year, then trust, then source id).
    """
    picks = []
    for attribute in _FIELDS:
        rank = "CASE r.source " + " ".join(f"WHEN '{src}' THEN {i}" for src, i in _RANK[attribute].items())
        rank += " ELSE 9 END" if attribute != "death_date" else " END"
        partial = "length(r.birth_date) < 10" if attribute == "birth_date" else "false"
        key = f"({partial}, {rank}, r.source_id)"
        held = f"r.{attribute} IS NOT NULL AND r.{attribute} <> ''" + (
            f" AND {rank} IS NOT NULL" if attribute == "death_date" else ""
        )
        picks.append(
            f"arg_min({{'v': r.{attribute}, 'source': r.source, 'source_id': r.source_id}}, {key}) "
            f"FILTER (WHERE {held}) AS {attribute}"
        )
    return (
        f"SELECT m.person, {', '.join(picks)} "
        "FROM members m JOIN records r ON r.record_id = m.record_id GROUP BY m.person"
    )


def goldens_of(records: pd.DataFrame, person_of: dict[int, int]) -> dict[int, dict[str, Any]]:
    """Return the golden attributes of many persons at once (as `golden_of`, in DuckDB).

    `records` holds record_id, source, source_id and the golden fields; `person_of` maps
    each record to its person.
    """
    import duckdb
    import pyarrow as pa

    if not person_of:
        return {}
    schema = pa.schema(
        [("record_id", pa.int64()), *((c, pa.string()) for c in ("source", "source_id", *_FIELDS))]
    )
    frame = pa.Table.from_pandas(records[schema.names], schema=schema, preserve_index=False)
    members = pa.table({"record_id": list(person_of), "person": list(person_of.values())})
    con = duckdb.connect()
    try:
        con.register("records", frame)
        con.register("members", members)
        picked = con.execute(_goldens_sql()).fetchall()
    finally:
        con.close()
    goldens: dict[int, dict[str, Any]] = {}
    for person, *chosen in picked:
        g: dict[str, Any] = {a: (c["v"] if c else None) for a, c in zip(_FIELDS, chosen, strict=True)}
        g["provenance"] = {
            a: {"source": c["source"], "source_id": c["source_id"]}
            for a, c in zip(_FIELDS, chosen, strict=True)
            if c
        }
        g["status"] = PERSON_DECEASED if g["death_date"] else PERSON_ACTIVE
        goldens[int(person)] = g
    return goldens
