"""Life events: each leaves the person's version, the history, an outbox event and its act."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from sijill.db.engine import session_scope
from sijill.db.locks import writer_session
from sijill.errors import EventRefused, NotFound, UsageError
from sijill.history import events_of
from sijill.outbox import read_events
from sijill.register.events import (
    BirthDeclaration,
    change_address,
    correct_person,
    declare_birth,
    record_death,
)
from sijill.register.models import PERSON_ACTIVE, PERSON_DECEASED, Link, Person, PersonRelation
from sijill.register.person_versions import person_history
from sijill.sources import ACCEPTED, SUPERSEDED, SourceRecord
from sijill.uin import is_valid_uin, new_uin
from sijill.uin.models import Uin
from tests.register.test_history_versions import build

COMMUNE = "01.511.01.01"


def _person(engine: Engine, *where: object) -> tuple[str, int]:
    with session_scope(engine) as session:
        stmt = select(Person).where(Person.status == PERSON_ACTIVE, Person.birth_date < "2000", *where)
        person = session.scalars(stmt.order_by(Person.id).limit(1)).one()
        return person.uin, person.id


def _child() -> BirthDeclaration:
    return BirthDeclaration(
        sex="F", birth_date="2026-11-30", commune=COMMUNE, family_lat="alaoui", given_lat="amina"
    )


@pytest.fixture
def built(engine: Engine, small_sources: Path) -> Engine:
    build(engine, small_sources)
    return engine


def test_a_birth_makes_a_person_with_a_new_uin_linked_to_its_parents(built: Engine) -> None:
    mother, mother_id = _person(built, Person.sex == "F")
    father, father_id = _person(built, Person.sex == "M")
    with writer_session(built) as session:
        done = declare_birth(session, child=_child(), mother_uin=mother, father_uin=father, by="clerk7")
    with session_scope(built) as session:
        child = session.get(Person, done.person_id)
        assert child is not None and is_valid_uin(child.uin) and child.uin == done.uin
        assert (child.given_lat, child.birth_date, child.commune) == ("amina", "2026-11-30", COMMUNE)
        parents = session.execute(
            select(PersonRelation.relation, PersonRelation.relative_id).where(
                PersonRelation.person_id == child.id
            )
        ).all()
        act = session.get(SourceRecord, done.record_id)
        link = session.get(Link, done.record_id)
        history = person_history(session, uin=child.uin)
        events = read_events(session)
        actions = [e.action for e in events_of(session=session, entity="person", entity_id=child.id)]
    assert sorted(parents) == [("father", father_id), ("mother", mother_id)]
    assert act is not None and act.source == "civil" and act.status == ACCEPTED
    assert link is not None and link.person_id == child.id
    assert [(v.version, v.changed_by, v.reason) for v in history] == [(1, "clerk7", "birth")]
    assert [(e.kind, e.uin) for e in events] == [("birth", child.uin)]
    assert events[0].payload == {"date": "2026-11-30", "mother_uin": mother, "father_uin": father}
    assert actions == ["birth"]


def test_a_birth_to_an_unknown_mother_or_at_an_unknown_commune_is_refused(built: Engine) -> None:
    mother, _ = _person(built, Person.sex == "F")
    bad = BirthDeclaration(
        sex="F", birth_date="2026-11-30", commune="99.999.99.99", given_lat="a", family_lat="b"
    )
    with writer_session(built) as session:
        with pytest.raises(UsageError, match="commune"):
            declare_birth(session, child=bad, mother_uin=mother, by="clerk7")
        with pytest.raises(NotFound, match="no person holds this UIN"):
            declare_birth(session, child=_child(), mother_uin=new_uin(), by="clerk7")


def test_a_death_marks_the_person_deceased_once_and_publishes_it(built: Engine) -> None:
    uin, person_id = _person(built, Person.death_date.is_(None))
    with writer_session(built) as session:
        done = record_death(session, uin=uin, death_date="2026-11-29", by="clerk7")
    with writer_session(built) as session, pytest.raises(EventRefused, match="already recorded deceased"):
        record_death(session, uin=uin, death_date="2026-11-30", by="clerk7")
    with session_scope(built) as session:
        person = session.get(Person, person_id)
        assert person is not None and (person.status, person.death_date) == (PERSON_DECEASED, "2026-11-29")
        history = person_history(session, uin=uin)
        events = read_events(session)
    assert [v.reason for v in history] == ["created", "death"]
    assert history[-1].attributes["status"] == PERSON_DECEASED and history[0].valid_to is not None
    assert [(e.kind, e.uin, e.payload["date"]) for e in events] == [("death", uin, "2026-11-29")]
    assert done.version == 2


def test_a_death_before_the_birth_is_refused(built: Engine) -> None:
    uin, _ = _person(built, Person.birth_date.like("19__-__-__"))
    with writer_session(built) as session, pytest.raises(EventRefused, match="before the birth"):
        record_death(session, uin=uin, death_date="1900-01-01", by="clerk7")


def test_a_death_survives_a_rebuild_of_the_same_sources(built: Engine, small_sources: Path) -> None:
    uin, person_id = _person(built, Person.death_date.is_(None))
    with writer_session(built) as session:
        record_death(session, uin=uin, death_date="2026-11-29", by="clerk7")
    build(built, small_sources)
    with session_scope(built) as session:
        person = session.get(Person, person_id)
        assert person is not None and (person.status, person.death_date) == (PERSON_DECEASED, "2026-11-29")


def test_a_court_correction_is_a_new_version_with_its_reason(built: Engine, small_sources: Path) -> None:
    uin, person_id = _person(built, Person.given_ar.is_not(None))
    with writer_session(built) as session:
        done = correct_person(
            session, uin=uin, field="birth_date", value="1980-02-03", by="judge2", reason="TPI-2026-77"
        )
    build(built, small_sources)  # the corrected act decides the golden value in builds too
    with session_scope(built) as session:
        person = session.get(Person, person_id)
        superseded = session.scalars(
            select(SourceRecord.id).where(SourceRecord.status == SUPERSEDED, SourceRecord.source == "civil")
        ).all()
        history = person_history(session, uin=uin)
        [event] = read_events(session)
    assert person is not None and person.birth_date == "1980-02-03"
    assert len(superseded) >= 1
    assert (history[1].changed_by, history[1].reason, history[1].attributes["birth_date"]) == (
        "judge2",
        "TPI-2026-77",
        "1980-02-03",
    )
    assert (event.kind, event.payload["field"], event.payload["reason"]) == (
        "correction",
        "birth_date",
        "TPI-2026-77",
    )
    assert done.version == 2


def test_a_change_of_address_checks_the_commune_and_is_versioned(built: Engine) -> None:
    uin, _ = _person(built)
    with writer_session(built) as session:
        change_address(session, uin=uin, commune=COMMUNE, by="clerk7")
        with pytest.raises(UsageError, match="unknown commune"):
            change_address(session, uin=uin, commune="00.000", by="clerk7")
    with session_scope(built) as session:
        history = person_history(session, uin=uin)
        [event] = read_events(session)
    assert history[-1].attributes["commune"] == COMMUNE and history[-1].reason == "moved"
    assert (event.kind, event.payload["commune"]) == ("address", COMMUNE)


def _declare_events(url: str, mother: str, dying: list[str], births: int) -> None:
    """Declare births and deaths, one transaction each, as one clerk's process does."""
    from sijill.db.engine import create_engine_for

    engine = create_engine_for(url)
    for i, uin in enumerate(dying):
        with writer_session(engine) as session:
            record_death(session, uin=uin, death_date="2026-11-29", by=f"clerk-{mother}")
        for _ in range(births // len(dying) + (i < births % len(dying))):
            with writer_session(engine) as session:
                declare_birth(session, child=_child(), mother_uin=mother, by="clerk")
    engine.dispose()


def _drain(engine: Engine, seen: list[tuple[int, str | None, str]]) -> int:
    from sijill.outbox import ack, consume

    with session_scope(engine) as session:
        events = consume(session, subscriber="cnss", limit=9)
        seen.extend((e.id, e.uin, e.kind) for e in events)
        if events:
            ack(session, subscriber="cnss", up_to=events[-1].id)
    return len(events)


def test_concurrent_births_and_deaths_lose_or_repeat_no_uin_nor_event(built: Engine, db_url: str) -> None:
    import multiprocessing

    from sijill.outbox import subscribe

    if not db_url.startswith("postgresql"):
        pytest.skip("several writer processes at once: PostgreSQL")
    with session_scope(built) as session:
        subscribe(session, name="cnss")
        women = session.scalars(
            select(Person.uin)
            .where(Person.sex == "F", Person.status == PERSON_ACTIVE, Person.birth_date < "1995")
            .order_by(Person.id)
            .limit(4)
        ).all()
        others = session.scalars(
            select(Person.uin)
            .where(Person.uin.not_in(women), Person.status == PERSON_ACTIVE)
            .order_by(Person.id)
            .limit(40)
        ).all()
        persons_before = session.scalar(select(func.count()).select_from(Person))
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_declare_events, args=(db_url, women[w], list(others[w * 10 : w * 10 + 10]), 10)
        )
        for w in range(4)
    ]
    for p in workers:
        p.start()
    seen: list[tuple[int, str | None, str]] = []
    while any(p.is_alive() for p in workers):
        _drain(built, seen)
    for p in workers:
        p.join()
        assert p.exitcode == 0
    while _drain(built, seen):
        pass
    with session_scope(built) as session:
        persons_after = session.scalar(select(func.count()).select_from(Person))
        uins = session.scalars(select(Uin.uin)).all()
        deceased = session.scalar(
            select(func.count()).where(Person.uin.in_(others), Person.status == PERSON_DECEASED)
        )
    ids = [s[0] for s in seen]
    assert ids == sorted(set(ids))  # in order, none twice
    assert sorted(k for _, _, k in seen) == ["birth"] * 40 + ["death"] * 40
    assert sorted(u for u, k in ((s[1], s[2]) for s in seen) if k == "death") == sorted(others)
    assert len({s[1] for s in seen if s[2] == "birth"}) == 40
    assert persons_after == (persons_before or 0) + 40 and len(uins) == len(set(uins))
    assert deceased == 40
