"""Linkage features of accepted source records: name keys in both scripts, date parts, and
every other value put in one form on both sides of a comparison, or null.

A comparison is evidence only when it compares like with like: a commune code is resolved to
the commune, a place written in Arabic to the commune of that name, and what cannot be put in
that one form (a code today's list does not hold, a value flagged malformed when it was read)
becomes null, which the model counts as missing evidence, never as evidence against.
"""

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from sijill.db.bulk import fetch_chunks
from sijill.geo import communes
from sijill.names import SpellingDictionary, loose_key, normalise_arabic, normalise_latin, strict_key
from sijill.names.keys import form_key, head_key
from sijill.sources.models import ACCEPTED, RECORD_FIELDS, SourceRecord

RECORD_COLUMNS = ["id", "source", "source_id", *RECORD_FIELDS, "flags"]
# The flags the readers set on a malformed value, and the field each one voids for linkage.
FLAGGED_FIELDS = {"cnie_shape": "cnie", "guardian_cnie_shape": "guardian_cnie"}
LONG_VOWELS = "AIU"
MIN_NAME_RECORDS = 2  # a given name carried by fewer records is not read by the twins guard
LOAD_CHUNK_ROWS = 100_000
# The columns whose values repeat across records, each distinct value held once in memory
# (`_shared_values`); the rest are numbers, or nearly one value a record (source id, card).
SHARED_COLUMNS = frozenset(RECORD_COLUMNS) - {
    "id",
    "source_id",
    "cnie",
    "birth_year",
    "birth_month",
    "birth_day",
}
_COMMUNE_CODE = re.compile(r"^\d{2}\.\d{3}\.")


def load_records(*, session: Session, chunk_rows: int = LOAD_CHUNK_ROWS) -> pd.DataFrame:
    """Return the accepted, current source records as a DataFrame (one row a record)."""
    # Flags as their JSON text on both backends (`void_flagged` searches the text): parsing
    # millions of JSON arrays in the driver cost PostgreSQL more than the rest of the read.
    columns = [
        cast(SourceRecord.flags, Text).label("flags") if c == "flags" else getattr(SourceRecord, c)
        for c in RECORD_COLUMNS
    ]
    # In (source, source id) order: what the linkage sees never depends on database ids.
    stmt = (
        select(*columns)
        .where(SourceRecord.status == ACCEPTED)
        .order_by(SourceRecord.source, SourceRecord.source_id)
    )
    # Millions of rows: fetched as plain tuples from the driver, not as SQLAlchemy rows, and
    # a chunk at a time, each repeated value kept once (`_shared_values`).
    parts: list[list[Any]] = [[] for _ in RECORD_COLUMNS]
    seen: list[dict[Any, Any]] = [{} for _ in RECORD_COLUMNS]
    for chunk in fetch_chunks(session, stmt, rows=chunk_rows):
        table = np.empty((len(chunk), len(RECORD_COLUMNS)), dtype=object)
        table[:] = chunk
        for i, name in enumerate(RECORD_COLUMNS):
            column = table[:, i]  # a view: copied, so that the chunk's table is freed
            parts[i].append(_shared_values(column, seen[i]) if name in SHARED_COLUMNS else column.copy())
    if not parts[0]:
        return pd.DataFrame(columns=RECORD_COLUMNS).rename(columns={"id": "record_id"})
    # Numbers inferred as a plain read infers them: int64, float64 with a null, object if all null.
    frame = pd.DataFrame(
        {
            name: pd.Series(np.concatenate(values), dtype=object)
            if name in SHARED_COLUMNS
            else pd.Series(np.concatenate(values), dtype=object).infer_objects()
            for name, values in zip(RECORD_COLUMNS, parts, strict=True)
        }
    )
    return frame.rename(columns={"id": "record_id"})


def _shared_values(values: Any, seen: dict[Any, Any]) -> Any:
    """Return the values as an object array in which equal values are one object.

    The driver makes a new string of every value of every row: 2.15M records held 2.9 GB of
    them, of which a few thousand distinct names, dates and codes. Each chunk's values are
    factorised, and each distinct value replaced by the first object seen with that value,
    so the chunk's own strings are freed (and their memory reused) before the next chunk.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    kept = np.empty(len(uniques) + 1, dtype=object)  # the last slot, None, for code -1
    kept[:-1] = [seen.setdefault(value, value) for value in uniques]
    return kept[codes]


def void_flagged(records: pd.DataFrame) -> pd.DataFrame:
    """Return the records with each value flagged malformed (`FLAGGED_FIELDS`) set to null.

    Flags come as JSON text (SQLite) or as lists (PostgreSQL); either way a flag's name
    appears quoted in the text of the value, which is searched without parsing each row.
    """
    if "flags" not in records:
        return records
    text = records["flags"].astype(str)
    some = text.to_numpy(dtype=object) != "[]"  # nearly every record has no flag: skip those
    out = records
    for flag, column in FLAGGED_FIELDS.items():
        flagged = np.zeros(len(text), dtype=bool)
        flagged[some] = text[some].str.contains(f"[\"']{flag}[\"']", regex=True).to_numpy(dtype=bool)
        if flagged.any():
            out = out.copy() if out is records else out
            out[column] = out[column].where(~flagged, None)
    return out


def name_pairs(arabic: pd.Series, latin: pd.Series) -> tuple[Any, pd.DataFrame]:
    """Return, for each record, the code of its (Arabic, Latin) name, and the distinct names."""
    # Each column factorised alone, the pairs of codes then (as integers, far faster than
    # joining millions of strings); codes number the pairs in order of first appearance.
    ar_codes, _ = pd.factorize(arabic, use_na_sentinel=True)
    la_codes, la_values = pd.factorize(latin, use_na_sentinel=True)
    pair = (ar_codes.astype("int64") + 1) * (len(la_values) + 1) + la_codes.astype("int64") + 1
    codes, _ = pd.factorize(pair)
    first = pd.DataFrame({"code": codes}).drop_duplicates("code").index
    distinct = pd.DataFrame({"ar": arabic.to_numpy()[first], "la": latin.to_numpy()[first]})
    return codes, distinct


def _per_record(codes: Any, values: list[str | None], index: pd.Index) -> pd.Series:
    """Spread the values computed once per distinct name over the records."""
    spread = np.empty(len(values), dtype=object)
    spread[:] = values
    return pd.Series(spread[codes], index=index, dtype=object)


def _text_of(ar: object, la: object, spellings: SpellingDictionary) -> str | None:
    """Return the text a name is keyed from: its Arabic form, else the learnt Arabic behind
    its Latin spelling, else the spelling."""
    if isinstance(ar, str) and ar:
        return ar
    if isinstance(la, str) and la:
        return spellings.arabic_for(la) or la
    return None


def _keyed(
    arabic: pd.Series, latin: pd.Series, spellings: SpellingDictionary, keys: tuple[Callable[[str], str], ...]
) -> list[pd.Series]:
    """Key each name from its Arabic form, else the learnt Arabic behind its Latin spelling,
    once for each distinct name."""
    codes, distinct = name_pairs(arabic, latin)
    texts = [_text_of(a, b, spellings) for a, b in zip(distinct["ar"], distinct["la"], strict=True)]
    return [
        _per_record(codes, [(key(t) or None) if t else None for t in texts], arabic.index) for key in keys
    ]


def add_name_keys(records: pd.DataFrame, spellings: SpellingDictionary) -> pd.DataFrame:
    """Add loose and strict keys of family and given names, and of the Latin forms alone."""
    out = records.copy()
    for part in ("family", "given"):
        out[f"{part}_key"], out[f"{part}_strict"] = _keyed(
            out[f"{part}_ar"], out[f"{part}_lat"], spellings, (loose_key, strict_key)
        )
    return out


def _read_one(
    ar: object, la: object, spellings: SpellingDictionary, seen_ar: pd.Series, seen_la: pd.Series
) -> str | None:
    """Return a given name as the twins guard reads it, or None where it cannot tell.

    A name is read from its Arabic form, else from the Arabic almost always behind its Latin
    spelling, else from a Latin spelling the dictionary does not know. It is not read when it
    is a spelling of two names (Touria, for ثريا and تورية), or when no other record carries
    it: a form seen once is more likely a clerk's slip than another name.
    """
    if isinstance(ar, str) and ar:
        return ar if seen_ar.get(ar, 0) >= MIN_NAME_RECORDS else None
    if not isinstance(la, str) or not la:
        return None
    if spellings.knows_latin(la):
        return spellings.sure_arabic_for(la)
    return la if seen_la.get(la, 0) >= MIN_NAME_RECORDS else None


def guard_keys(records: pd.DataFrame, spellings: SpellingDictionary) -> dict[str, pd.Series]:
    """Return the keys of the given name the twins guard compares (`linkage.clusters`): its
    strict key, the first symbol of the element that makes it, and, when it is known in
    Arabic, its exact key and that key's consonants."""
    arabic, latin = records["given_ar"], records["given_lat"]
    seen_ar, seen_la = arabic.value_counts(), latin.value_counts()
    codes, distinct = name_pairs(arabic, latin)
    read = [
        _read_one(a, b, spellings, seen_ar, seen_la)
        for a, b in zip(distinct["ar"], distinct["la"], strict=True)
    ]
    forms = [(form_key(t) or None) if t else None for t in read]
    index = records.index
    return {
        "given_form": _per_record(codes, forms, index),
        "given_skeleton": _per_record(codes, [_skeleton(f) for f in forms], index),
        "given_spelt": _per_record(codes, [(strict_key(t) or None) if t else None for t in read], index),
        "given_head": _per_record(codes, [(head_key(t)[:1] or None) if t else None for t in read], index),
    }


def _each_distinct(values: pd.Series, fn: Callable[[str], str | None]) -> pd.Series:
    """Apply a function once to each distinct text value; other values become None."""
    mapping = {v: fn(v) for v in values.dropna().unique() if isinstance(v, str) and v}
    return values.map(mapping).astype(object).where(lambda s: s.notna(), None)


@lru_cache(maxsize=1)
def _communes_by_arabic_name() -> dict[str, str]:
    """Return the French name of each commune by its Arabic name, where that name is unique."""
    seen: dict[str, set[str]] = {}
    for commune in communes().values():
        seen.setdefault(normalise_arabic(commune.name_ar), set()).add(normalise_latin(commune.name_fr))
    return {ar: next(iter(fr)) for ar, fr in seen.items() if len(fr) == 1}


@lru_cache(maxsize=100_000)
def comparable_place(value: str) -> str | None:
    """Return a place in the one form places are compared in: a commune's French name,
    normalised, or a place written in Latin, normalised; None when it cannot be put so.

    Example:
        >>> comparable_place("01.511.01.01"), comparable_place("99.999.99.99")
        ('assilah', None)
    """
    if _COMMUNE_CODE.match(value):
        commune = communes().get(value)
        return normalise_latin(commune.name_fr) if commune else None
    if any("\u0600" <= ch <= "\u06ff" for ch in value):
        return _communes_by_arabic_name().get(normalise_arabic(value))
    return normalise_latin(value) or None


def _skeleton(form: object) -> str | None:
    """Return an exact name key without its long vowels, or None."""
    return "".join(c for c in form if c not in LONG_VOWELS) if isinstance(form, str) else None


def linkage_frame(records: pd.DataFrame, spellings: SpellingDictionary) -> pd.DataFrame:
    """Return the columns the comparison spec reads, one row a record."""
    records = void_flagged(records)
    (family_key, family_strict), (given_key, given_strict) = (
        _keyed(records[f"{part}_ar"], records[f"{part}_lat"], spellings, (loose_key, strict_key))
        for part in ("family", "given")
    )
    full = records["birth_precision"] == "day"
    columns: dict[str, Any] = {
        "record_id": records["record_id"].astype("int64"),
        "source": records["source"],
        "family_key": family_key,
        "given_key": given_key,
        "family_strict": family_strict,
        "given_strict": given_strict,
        **guard_keys(records, spellings),
        "birth_date": records["birth_date"].where(full, None),
        "birth_year": records["birth_year"].astype("Int64"),
        "birth_month": records["birth_month"].where(full, None).astype("Int64"),
        "birth_day": records["birth_day"].where(full, None).astype("Int64"),
        "sex": records["sex"],
        "cnie": records["cnie"],
        "birth_place": _each_distinct(records["birth_place"], comparable_place),
        "home_commune": _each_distinct(records["commune"], comparable_place),
        "father_key": _each_distinct(records["father_given_ar"], lambda f: strict_key(f) or None),
        "household_ref": records["household_ref"],
        "guardian_cnie": records["guardian_cnie"],
    }
    return pd.DataFrame({name: _linkage_column(name, v) for name, v in columns.items()}, index=records.index)


_INTEGER_FEATURES = ("birth_year", "birth_month", "birth_day")


def _linkage_column(name: str, values: Any) -> Any:
    """Return a feature column as the linkage reads it: ids as int64, date parts as Int64,
    and every other value an object, None where missing (never NaN). Column by column: the
    whole frame cast to object and back cost a third of the features of millions of records."""
    if name == "record_id":
        return np.asarray(values, dtype="int64")
    if name in _INTEGER_FEATURES:
        return pd.array(values, dtype="Int64")
    column = np.array(values, dtype=object)
    missing = pd.isna(column)
    if missing.any():
        column[missing] = None
    return column


class NameCounts(Protocol):
    """How many records carry each given name (a `Counter` or `value_counts`)."""

    def get(self, key: str, default: int, /) -> Any: ...


def record_features(
    record: Mapping[str, Any], spellings: SpellingDictionary, seen_ar: NameCounts, seen_la: NameCounts
) -> dict[str, Any]:
    """Return one record's row of `linkage_frame`, computed by the same functions.

    `seen_ar` and `seen_la` count the given names over the records the record is linked
    against (itself included), as `guard_keys` counts them over a whole frame.
    """
    flags = str(record.get("flags") or "")
    voided = {col for flag, col in FLAGGED_FIELDS.items() if f'"{flag}"' in flags or f"'{flag}'" in flags}
    keys: dict[str, str | None] = {}
    for part in ("family", "given"):
        text = _text_of(record.get(f"{part}_ar"), record.get(f"{part}_lat"), spellings)
        keys[f"{part}_key"] = (loose_key(text) or None) if text else None
        keys[f"{part}_strict"] = (strict_key(text) or None) if text else None
    full = record.get("birth_precision") == "day"
    father = record.get("father_given_ar")
    return {
        "record_id": int(record["record_id"]),
        "source": record["source"],
        "family_key": keys["family_key"],
        "given_key": keys["given_key"],
        "family_strict": keys["family_strict"],
        "given_strict": keys["given_strict"],
        **given_guard_keys(record.get("given_ar"), record.get("given_lat"), spellings, seen_ar, seen_la),
        "birth_date": record.get("birth_date") if full else None,
        "birth_year": _int_or_none(record.get("birth_year")),
        "birth_month": _int_or_none(record.get("birth_month")) if full else None,
        "birth_day": _int_or_none(record.get("birth_day")) if full else None,
        "sex": record.get("sex"),
        "cnie": None if "cnie" in voided else record.get("cnie"),
        "birth_place": _place_or_none(record.get("birth_place")),
        "home_commune": _place_or_none(record.get("commune")),
        "father_key": (strict_key(father) or None) if isinstance(father, str) and father else None,
        "household_ref": record.get("household_ref"),
        "guardian_cnie": None if "guardian_cnie" in voided else record.get("guardian_cnie"),
    }


def given_guard_keys(
    arabic: object, latin: object, spellings: SpellingDictionary, seen_ar: NameCounts, seen_la: NameCounts
) -> dict[str, str | None]:
    """Return one record's keys of its given name for the twins guard, as `guard_keys` does."""
    read = _read_one(arabic, latin, spellings, seen_ar, seen_la)
    form = (form_key(read) or None) if read else None
    return {
        "given_form": form,
        "given_skeleton": _skeleton(form),
        "given_spelt": (strict_key(read) or None) if read else None,
        "given_head": (head_key(read)[:1] or None) if read else None,
    }


def _int_or_none(value: object) -> int | None:
    """Return a known integer value as int, else None."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    assert isinstance(value, int | float | np.integer), value
    return int(value)


def _place_or_none(value: object) -> str | None:
    """Return `comparable_place` of a text value, None for anything else (`_each_distinct`)."""
    return comparable_place(value) if isinstance(value, str) and value else None


def keys_moved(
    records: pd.DataFrame, before: SpellingDictionary, after: SpellingDictionary, held: pd.Series
) -> list[int]:
    """Return the records whose name keys, or given name as the twins guard reads it, differ
    between two dictionaries of spellings and two sets of records (`held` marks the records of
    the earlier set): what learning from new records changes in records already held."""
    moved = np.zeros(len(records), dtype=bool)
    for part in ("family", "given"):
        codes, distinct = name_pairs(records[f"{part}_ar"], records[f"{part}_lat"])
        pairs = zip(distinct["ar"], distinct["la"], strict=True)
        texts = [_text_of(a, b, before) != _text_of(a, b, after) for a, b in pairs]
        moved |= np.asarray(texts, dtype=bool)[codes]
    arabic, latin = records["given_ar"], records["given_lat"]
    seen = (arabic.value_counts(), latin.value_counts())
    seen_before = (arabic[held].value_counts(), latin[held].value_counts())
    codes, distinct = name_pairs(arabic, latin)
    pairs = zip(distinct["ar"], distinct["la"], strict=True)
    moved |= np.asarray(
        [_read_one(a, b, before, *seen_before) != _read_one(a, b, after, *seen) for a, b in pairs], dtype=bool
    )[codes]
    return [int(r) for r in records["record_id"][moved & held.to_numpy(dtype=bool)].tolist()]
