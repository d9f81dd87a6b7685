"""Person versions: builds and changes write versions; the state at any past time can be read."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from sijill.db.engine import session_scope
from sijill.db.locks import writer_session
from sijill.linkage.deterministic import DeterministicLinker
from sijill.register.flows import run_build
from sijill.register.models import PERSON_DECEASED, Person, PersonVersion
from sijill.register.person_versions import person_at, person_history, record_current_versions

TODAY = date(2026, 1, 1)


def build(engine: Engine, sources: Path) -> None:
    """Build the register from these sources with the deterministic linker."""
    run_build(engine=engine, sources_dir=sources, linker=DeterministicLinker(), chunk_size=500, today=TODAY)


def _versions(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(PersonVersion)) or 0)


def test_a_build_writes_one_version_of_each_person_it_creates(engine: Engine, small_sources: Path) -> None:
    build(engine, small_sources)
    with session_scope(engine) as session:
        persons = session.scalar(select(func.count()).select_from(Person))
        person = session.scalars(select(Person).order_by(Person.id).limit(1)).one()
        history = person_history(session, uin=person.uin)
    assert _versions(engine) == persons
    assert [(v.version, v.changed_by, v.reason, v.valid_to) for v in history] == [
        (1, "build", "created", None)
    ]
    assert history[0].attributes["birth_date"] == person.birth_date
    assert history[0].attributes["status"] == person.status


def test_a_rebuild_of_the_same_sources_writes_no_version(engine: Engine, small_sources: Path) -> None:
    build(engine, small_sources)
    before = _versions(engine)
    build(engine, small_sources)
    assert _versions(engine) == before


def test_the_state_at_a_past_time_is_the_version_then_valid(engine: Engine, small_sources: Path) -> None:
    build(engine, small_sources)
    with writer_session(engine) as session:
        person = session.scalars(select(Person).where(Person.death_date.is_(None)).limit(1)).one()
        uin, built = person.uin, datetime.now(UTC)
        person.status, person.death_date = PERSON_DECEASED, "2026-11-30"
        session.flush()
        record_current_versions(session, person_ids=[person.id], changed_by="op1", reason="death")
    with session_scope(engine) as session:
        long_ago = person_at(session, uin=uin, at=built - timedelta(days=365))
        then = person_at(session, uin=uin, at=built)
        now = person_at(session, uin=uin, at=datetime.now(UTC))
        history = person_history(session, uin=uin)
    assert long_ago is None
    assert then is not None and then.version == 1 and then.attributes["status"] == "active"
    assert now is not None and now.version == 2 and now.attributes["death_date"] == "2026-11-30"
    assert (now.changed_by, now.reason) == ("op1", "death")
    assert history[0].valid_to == history[1].valid_from
