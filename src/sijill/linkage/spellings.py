"""Learn the dictionary of spellings from records that carry both scripts, and keep it."""

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sijill.linkage.features import name_pairs
from sijill.linkage.models import NameSpelling
from sijill.names import SpellingDictionary
from sijill.sources.models import ACCEPTED, SourceRecord


def learn_spellings(*, session: Session, records: pd.DataFrame | None = None) -> SpellingDictionary:
    """Mine (Arabic, Latin) pairs of every accepted record and store the counts afresh.

    Each distinct pair is learnt once with its count (a country writes millions of records
    with a few tens of thousands of distinct spellings), in the order of its two texts as
    Python compares them. `records` are the accepted records (`features.load_records`), when
    the caller has them: counted by integer codes in memory, not again by the database.
    """
    learnt = SpellingDictionary()
    for part in ("family", "given"):
        for ar, la, n in _pair_counts(session, records, part):
            if ar and la:
                learnt.add(ar, la, count=int(n))
    session.execute(delete(NameSpelling))
    rows = [{"arabic": ar, "latin": la, "count": n} for ar, la, n in learnt]
    for i in range(0, len(rows), 5000):
        session.execute(insert(NameSpelling), rows[i : i + 5000])
    return learnt


def _pair_counts(session: Session, records: pd.DataFrame | None, part: str) -> list[tuple[str, str, int]]:
    """Return each distinct (Arabic, Latin) pair of a name part with its count, in order."""
    if records is None:
        arabic, latin = getattr(SourceRecord, f"{part}_ar"), getattr(SourceRecord, f"{part}_lat")
        stmt = (
            select(arabic, latin, func.count())
            .where(SourceRecord.status == ACCEPTED, arabic.is_not(None), latin.is_not(None))
            .group_by(arabic, latin)
        )
        return sorted((str(a), str(b), int(n)) for a, b, n in session.execute(stmt))
    arabic, latin = records[f"{part}_ar"], records[f"{part}_lat"]
    known = (arabic.notna() & latin.notna()).to_numpy(dtype=bool)
    if not known.any():
        return []
    codes, distinct = name_pairs(arabic[known], latin[known])
    counts = np.bincount(codes).tolist()
    return sorted(zip(distinct["ar"].tolist(), distinct["la"].tolist(), counts, strict=True))


def load_spellings(*, session: Session) -> SpellingDictionary:
    """Return the dictionary of spellings kept in the register."""
    learnt = SpellingDictionary()
    stmt = select(NameSpelling.arabic, NameSpelling.latin, NameSpelling.count)
    for arabic, latin, count in session.execute(stmt):
        learnt.add(arabic, latin, count=count)
    return learnt
