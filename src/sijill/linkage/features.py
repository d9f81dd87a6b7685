"""Linkage features of accepted source records: name keys in both scripts, date parts."""

from collections.abc import Callable

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.geo import communes
from sijill.names import SpellingDictionary, loose_key, normalise_latin, strict_key
from sijill.sources.models import ACCEPTED, RECORD_FIELDS, SourceRecord

RECORD_COLUMNS = ["id", "source", "source_id", *RECORD_FIELDS]


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


def _place(value: object) -> str | None:
    """Return a comparable place of birth: a commune code becomes its French name."""
    if not isinstance(value, str) or not value:
        return None
    commune = communes().get(value)
    return normalise_latin(commune.name_fr) if commune else value


def linkage_frame(records: pd.DataFrame, spellings: SpellingDictionary) -> pd.DataFrame:
    """Return the columns the comparison spec reads, one row a record."""
    keyed = add_name_keys(records, spellings)
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
            "birth_date": keyed["birth_date"].where(full, None),
            "birth_year": keyed["birth_year"].astype("Int64"),
            "birth_month": keyed["birth_month"].where(full, None).astype("Int64"),
            "birth_day": keyed["birth_day"].where(full, None).astype("Int64"),
            "sex": keyed["sex"],
            "cnie": keyed["cnie"],
            "birth_place": keyed["birth_place"].map(_place),
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
