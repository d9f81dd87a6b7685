"""Linkage features of accepted source records: name keys in both scripts, date parts."""

from collections.abc import Callable

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.names import SpellingDictionary, loose_key, strict_key
from sijill.sources.models import ACCEPTED, SourceRecord

RECORD_COLUMNS = [
    "id", "source", "source_id", "family_ar", "given_ar", "family_lat", "given_lat", "sex",
    "birth_date", "birth_precision", "birth_year", "birth_month", "birth_day", "birth_place",
    "father_given_ar", "death_date", "cnie", "guardian_cnie", "household_ref", "commune",
]  # fmt: skip


def load_records(*, session: Session) -> pd.DataFrame:
    """Return the accepted, current source records as a DataFrame (one row a record)."""
    columns = [getattr(SourceRecord, c) for c in RECORD_COLUMNS]
    stmt = select(*columns).where(SourceRecord.status == ACCEPTED).order_by(SourceRecord.id)
    rows = session.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    return frame.rename(columns={"id": "record_id"})


def _keyed(arabic: pd.Series, latin: pd.Series, spellings: SpellingDictionary,
           key: Callable[[str], str]) -> pd.Series:  # fmt: skip
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
