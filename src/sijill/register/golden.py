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


def goldens_of(records: pd.DataFrame, person_of: dict[int, int]) -> dict[int, dict[str, Any]]:
    """Return the golden attributes of many persons at once (as `golden_of`, vectorised).

    `records` holds record_id, source, source_id and the golden fields; `person_of` maps
    each record to its person.
    """
    frame = records[["record_id", "source", "source_id", *_FIELDS]].copy()
    frame["person"] = frame["record_id"].map(person_of)
    frame = frame[frame["person"].notna()]
    values: dict[str, dict[int, Any]] = {}
    origins: dict[str, dict[int, dict[str, str]]] = {}
    for attribute in _FIELDS:
        held = frame[frame[attribute].notna() & (frame[attribute] != "")]
        rank = held["source"].map(_RANK[attribute])
        if attribute == "death_date":
            held, rank = held[rank.notna()], rank[rank.notna()]
        # Ties between records of one registry go to the first source id, never to a database id.
        order = pd.DataFrame({"person": held["person"], "rank": rank.fillna(9), "id": held["source_id"]})
        if attribute == "birth_date":
            order["partial"] = held[attribute].str.len() < 10
            order = order[["person", "partial", "rank", "id"]]
        best = held.loc[order.sort_values(list(order.columns)).index].drop_duplicates("person")
        people = best["person"].astype("int64").tolist()
        values[attribute] = dict(zip(people, best[attribute].tolist(), strict=True))
        origins[attribute] = {
            p: {"source": s, "source_id": i}
            for p, s, i in zip(people, best["source"].tolist(), best["source_id"].tolist(), strict=True)
        }
    goldens: dict[int, dict[str, Any]] = {}
    for person in set(person_of.values()):
        g: dict[str, Any] = {a: values[a].get(person) for a in _FIELDS}
        g["provenance"] = {a: origins[a][person] for a in _FIELDS if person in origins[a]}
        g["status"] = PERSON_DECEASED if g["death_date"] else PERSON_ACTIVE
        goldens[person] = g
    return goldens
