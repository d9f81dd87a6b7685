"""Spellings learnt from the records in memory are those the database counts."""

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from sijill.db.engine import session_scope
from sijill.linkage.features import load_records
from sijill.linkage.spellings import learn_spellings, load_spellings
from sijill.sources.reader import find_extracts
from sijill.sources.service import ingest_extract


def test_spellings_learnt_from_loaded_records_equal_those_counted_in_sql(
    engine: Engine, small_sources: Path
) -> None:
    with session_scope(engine) as session:
        for extract in find_extracts(small_sources):
            ingest_extract(session=session, extract=extract, build_id=None, today=date(2026, 1, 1))
    with session_scope(engine) as session:
        by_sql = learn_spellings(session=session)
        by_frame = learn_spellings(session=session, records=load_records(session=session))
        stored = load_spellings(session=session)
    assert len(by_sql) > 100
    # Same pairs, counts and order of learning: the dictionary's ties fall the same way.
    assert list(by_frame.counts.items()) == list(by_sql.counts.items())
    for index in ("_by_latin", "_by_arabic"):
        sql, frame = getattr(by_sql, index), getattr(by_frame, index)
        assert list(frame) == list(sql)
        assert all(list(frame[k].items()) == list(sql[k].items()) for k in sql)
    assert stored.counts == by_frame.counts
