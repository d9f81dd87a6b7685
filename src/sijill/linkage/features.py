"""Linkage features of accepted source records: name keys in both scripts, date parts, and
every other value put in one form on both sides of a comparison, or null.

A comparison is evidence only when it compares like with like: a commune code is resolved to
the commune, a place written in Arabic to the commune of that name, and what cannot be put in
that one form (a code today's list does not hold, a value flagged malformed when it was read)
becomes null, which the model counts as missing evidence, never as evidence against.
"""

import re
from collections.abc import Callable
from functools import lru_cache

import orjson
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.geo import communes
from sijill.names import SpellingDictionary, loose_key, normalise_arabic, normalise_latin, strict_key
from sijill.names.keys import form_key, head_key
from sijill.sources.models import ACCEPTED, RECORD_FIELDS, SourceRecord

RECORD_COLUMNS = ["id", "source", "source_id", *RECORD_FIELDS, "flags"]
# The flags the readers set on a malformed value, and the field each one voids for linkage.
FLAGGED_FIELDS = {"cnie_shape": "cnie", "guardian_cnie_shape": "guardian_cnie"}
LONG_VOWELS = "AIU"
MIN_NAME_RECORDS = 2  # a given name carried by fewer records is not read by the twins guard
_COMMUNE_CODE = re.compile(r"^\d{2}\.\d{3}\.")


def load_records(*, session: Session) -> pd.DataFrame:
    """Return the accepted, current source records as a DataFrame (one row a record)."""
    columns = [getattr(SourceRecord, c) for c in RECORD_COLUMNS]
    # In (source, source id) order: what the linkage sees never depends on database ids.
    stmt = (
        select(*columns)
        .where(SourceRecord.status == ACCEPTED)
        .order_by(SourceRecord.source, SourceRecord.source_id)
    )
    # Millions of rows: fetched as plain tuples from the driver, not as SQLAlchemy rows.
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled))
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=RECORD_COLUMNS)
    finally:
        cursor.close()
    return frame.rename(columns={"id": "record_id"})


def _flag_list(value: object) -> list[str]:
    """Return the flags of a record as a list, whether the driver gave JSON text or a list."""
    if isinstance(value, list):
        return value
    if isinstance(value, str | bytes) and value not in ("[]", b"[]", ""):
        parsed = orjson.loads(value)
        return parsed if isinstance(parsed, list) else []
    return []


def void_flagged(records: pd.DataFrame) -> pd.DataFrame:
    """Return the records with each value flagged malformed (`FLAGGED_FIELDS`) set to null."""
    if "flags" not in records:
        return records
    flags = records["flags"].map(_flag_list)
    out = records.copy()
    for flag, column in FLAGGED_FIELDS.items():
        flagged = flags.map(lambda f, flag=flag: flag in f)
        if flagged.any():
            out[column] = out[column].where(~flagged, None)
    return out


def _keyed(
    arabic: pd.Series, latin: pd.Series, spellings: SpellingDictionary, key: Callable[[str], str]
) -> pd.Series:
    """Key each name from its Arabic form, else the learnt Arabic behind its Latin spelling."""
    cache: dict[tuple[object, object], str | None] = {}

    def one(ar: object, la: object) -> str | None:
        found = cache.get((ar, la), "")
        if found != "":
            return found
        text = ar if isinstance(ar, str) and ar else None
        if text is None and isinstance(la, str) and la:
            text = spellings.arabic_for(la) or la
        value = (key(text) or None) if text else None
        cache[(ar, la)] = value
        return value

    return pd.Series([one(a, b) for a, b in zip(arabic, latin, strict=True)], index=arabic.index)


def add_name_keys(records: pd.DataFrame, spellings: SpellingDictionary) -> pd.DataFrame:
    """Add loose and strict keys of family and given names, and of the Latin forms alone."""
    out = records.copy()
    for part in ("family", "given"):
        ar, la = out[f"{part}_ar"], out[f"{part}_lat"]
        out[f"{part}_key"] = _keyed(ar, la, spellings, loose_key)
        out[f"{part}_strict"] = _keyed(ar, la, spellings, strict_key)
    return out


def _read_as(arabic: pd.Series, latin: pd.Series, spellings: SpellingDictionary) -> pd.Series:
    """Return each given name as the twins guard reads it, or None where it cannot tell.

    A name is read from its Arabic form, else from the Arabic almost always behind its Latin
    spelling, else from a Latin spelling the dictionary does not know. It is not read when it
    is a spelling of two names (Touria, for ثريا and تورية), or when no other record carries
    it: a form seen once is more likely a clerk's slip than another name.
    """
    seen_ar, seen_la = arabic.value_counts(), latin.value_counts()
    cache: dict[tuple[object, object], str | None] = {}

    def one(ar: object, la: object) -> str | None:
        key = (ar, la)
        if key not in cache:
            cache[key] = _read_one(ar, la, spellings, seen_ar, seen_la)
        return cache[key]

    return pd.Series([one(a, b) for a, b in zip(arabic, latin, strict=True)], index=arabic.index)


def _read_one(
    ar: object, la: object, spellings: SpellingDictionary, seen_ar: pd.Series, seen_la: pd.Series
) -> str | None:
    if isinstance(ar, str) and ar:
        return ar if seen_ar.get(ar, 0) >= MIN_NAME_RECORDS else None
    if not isinstance(la, str) or not la:
        return None
    if spellings.knows_latin(la):
        return spellings.sure_arabic_for(la)
    return la if seen_la.get(la, 0) >= MIN_NAME_RECORDS else None


def add_guard_keys(records: pd.DataFrame, spellings: SpellingDictionary) -> pd.DataFrame:
    """Add the keys of the given name the twins guard compares (`linkage.clusters`): its
    strict key, the first symbol of the element that makes it, and, when it is known in
    Arabic, its exact key and that key's consonants."""
    read = _read_as(records["given_ar"], records["given_lat"], spellings)
    known = read.dropna().unique()
    forms = {t: form_key(t) or None for t in known}
    spelt = {t: strict_key(t) or None for t in known}
    heads = {t: head_key(t)[:1] or None for t in known}
    out = records.copy()
    out["given_form"] = read.map(forms)
    out["given_skeleton"] = out["given_form"].map(_skeleton)
    out["given_spelt"] = read.map(spelt)
    out["given_head"] = read.map(heads)
    return out


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


def _place(value: object) -> str | None:
    """Return a comparable place of birth, or None (see `comparable_place`)."""
    return comparable_place(value) if isinstance(value, str) and value else None


def _skeleton(form: object) -> str | None:
    """Return an exact name key without its long vowels, or None."""
    return "".join(c for c in form if c not in LONG_VOWELS) if isinstance(form, str) else None


def linkage_frame(records: pd.DataFrame, spellings: SpellingDictionary) -> pd.DataFrame:
    """Return the columns the comparison spec reads, one row a record."""
    keyed = add_guard_keys(add_name_keys(void_flagged(records), spellings), spellings)
    full = keyed["birth_precision"] == "day"
    fathers = keyed["father_given_ar"]
    frame = pd.DataFrame(
        {
            "record_id": keyed["record_id"].astype("int64"),
            "source": keyed["source"],
            "family_key": keyed["family_key"],
            "given_key": keyed["given_key"],
            "family_strict": keyed["family_strict"],
            "given_strict": keyed["given_strict"],
            "given_form": keyed["given_form"],
            "given_skeleton": keyed["given_skeleton"],
            "given_spelt": keyed["given_spelt"],
            "given_head": keyed["given_head"],
            "birth_date": keyed["birth_date"].where(full, None),
            "birth_year": keyed["birth_year"].astype("Int64"),
            "birth_month": keyed["birth_month"].where(full, None).astype("Int64"),
            "birth_day": keyed["birth_day"].where(full, None).astype("Int64"),
            "sex": keyed["sex"],
            "cnie": keyed["cnie"],
            "birth_place": keyed["birth_place"].map(_place),
            "home_commune": keyed["commune"].map(_place),
            "father_key": fathers.map(lambda f: strict_key(f) or None if isinstance(f, str) else None),
            "household_ref": keyed["household_ref"],
            "guardian_cnie": keyed["guardian_cnie"],
        }
    )
    return (
        frame.astype(object)
        .where(frame.notna(), None)
        .astype(
            {
                "record_id": "int64",
                "birth_year": "Int64",
                "birth_month": "Int64",
                "birth_day": "Int64",
            }
        )
    )
