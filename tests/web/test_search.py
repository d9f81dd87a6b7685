"""Search: the name index grows with the register; names found in either script."""

from sqlalchemy import func, select

from sijill.db.engine import create_engine_for, session_scope
from sijill.register import Person
from sijill.sources import SourceRecord
from sijill.web.models import NameKey
from sijill.web.search import refresh_name_index, search_persons, unindexed_records


def test_the_name_index_takes_only_records_it_does_not_hold(register_url: str) -> None:
    engine = create_engine_for(register_url)
    with session_scope(engine) as session:
        first = refresh_name_index(session=session)
        assert first == session.scalar(select(func.count()).where(SourceRecord.status == "accepted"))
        assert unindexed_records(session=session) == 0
        assert refresh_name_index(session=session) == 0
        assert (session.scalar(select(func.count()).select_from(NameKey)) or 0) >= first
    engine.dispose()


def test_a_name_is_found_in_the_other_script_and_with_its_words_swapped(register_url: str) -> None:
    engine = create_engine_for(register_url)
    with session_scope(engine) as session:
        refresh_name_index(session=session)
        person = session.scalars(
            select(Person)
            .where(
                Person.family_ar.is_not(None), Person.family_lat.is_not(None), Person.given_lat.is_not(None)
            )
            .order_by(Person.id)
        ).first()
        assert person is not None
        for query in (
            f"{person.given_ar} {person.family_ar}",
            f"{person.family_ar} {person.given_ar}",
            f"{person.given_lat} {person.family_lat}".upper(),
        ):
            hits = search_persons(session=session, query=query)
            assert person.id in [h.person.id for h in hits], query
            assert all(h.matched_by == "name" and 0.7 <= h.score <= 1 for h in hits)
        assert search_persons(session=session, query=person.uin)[0].person.id == person.id
        assert search_persons(session=session, query="   ") == []
    engine.dispose()
