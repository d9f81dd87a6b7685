"""Learn the dictionary of spellings from records that carry both scripts, and keep it."""

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from sijill.linkage.models import NameSpelling
from sijill.names import SpellingDictionary
from sijill.sources.models import ACCEPTED, SourceRecord


def learn_spellings(*, session: Session) -> SpellingDictionary:
    """Mine (Arabic, Latin) pairs of every accepted record and store the counts afresh."""
    learnt = SpellingDictionary()
    stmt = select(
        SourceRecord.family_ar,
        SourceRecord.family_lat,
        SourceRecord.given_ar,
        SourceRecord.given_lat,
    ).where(
        SourceRecord.status == ACCEPTED,
        SourceRecord.family_ar.is_not(None) | SourceRecord.given_ar.is_not(None),
        SourceRecord.family_lat.is_not(None) | SourceRecord.given_lat.is_not(None),
    )
    for fam_ar, fam_lat, giv_ar, giv_lat in session.execute(stmt).yield_per(20_000):
        if fam_ar and fam_lat:
            learnt.add(fam_ar, fam_lat)
        if giv_ar and giv_lat:
            learnt.add(giv_ar, giv_lat)
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
