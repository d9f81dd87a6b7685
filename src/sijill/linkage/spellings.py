"""Learn the dictionary of spellings from records that carry both scripts, and keep it."""

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sijill.linkage.models import NameSpelling
from sijill.names import SpellingDictionary
from sijill.sources.models import ACCEPTED, SourceRecord


def learn_spellings(*, session: Session) -> SpellingDictionary:
    """Mine (Arabic, Latin) pairs of every accepted record and store the counts afresh.

    The database counts the pairs (a country writes millions of records with a few tens of
    thousands of distinct spellings); each distinct pair is learnt once with its count.
    """
    learnt = SpellingDictionary()
    for arabic, latin in (
        (SourceRecord.family_ar, SourceRecord.family_lat),
        (SourceRecord.given_ar, SourceRecord.given_lat),
    ):
        stmt = (
            select(arabic, latin, func.count())
            .where(SourceRecord.status == ACCEPTED, arabic.is_not(None), latin.is_not(None))
            .group_by(arabic, latin)
            .order_by(arabic, latin)
        )
        for ar, la, n in session.execute(stmt):
            if ar and la:
                learnt.add(ar, la, count=int(n))
    session.execute(delete(NameSpelling))
    rows = [{"arabic": ar, "latin": la, "count": n} for ar, la, n in learnt]
    for i in range(0, len(rows), 5000):
        session.execute(insert(NameSpelling), rows[i : i + 5000])
    return learnt


def load_spellings(*, session: Session) -> SpellingDictionary:
    """Return the dictionary of spellings kept in the register."""
    learnt = SpellingDictionary()
    stmt = select(NameSpelling.arabic, NameSpelling.latin, NameSpelling.count)
    for arabic, latin, count in session.execute(stmt):
        learnt.add(arabic, latin, count=count)
    return learnt
