"""What must hold of a register after any build, interrupted or not (used by soak and fault tests)."""

from collections import Counter

from sqlalchemy import Engine, func, select

from sijill.db.engine import session_scope
from sijill.history import HistoryEvent
from sijill.register.models import PERSON_ACTIVE, PERSON_DECEASED, PERSON_MERGED, PERSON_RETIRED, Link, Person
from sijill.sources.models import ACCEPTED, SUPERSEDED, SourceRecord
from sijill.uin import is_valid_uin
from sijill.uin.models import UIN_ACTIVE, Uin


def check_register(engine: Engine) -> dict[str, set[str]]:
    """Assert the register's invariants; return the UINs by status, to follow across builds."""
    with session_scope(engine) as session:
        accepted = session.execute(
            select(SourceRecord.id, SourceRecord.source, SourceRecord.source_id).where(
                SourceRecord.status == ACCEPTED
            )
        ).all()
        keys = Counter((s, i) for _, s, i in accepted)
        assert not [k for k, n in keys.items() if n > 1], "one accepted version per source id"
        links = dict(session.execute(select(Link.source_record_id, Link.person_id)).all())
        status = dict(session.execute(select(Person.id, Person.status)).all())
        living = {p for p, s in status.items() if s in (PERSON_ACTIVE, PERSON_DECEASED)}
        assert all(r in links for r, _, _ in accepted), "every accepted record is linked"
        assert {links[r] for r, _, _ in accepted} <= living, "to a living (active or deceased) person"
        assert living <= {links[r] for r, _, _ in accepted}, "every living person holds a record"
        uins = dict(session.execute(select(Uin.uin, Uin.status)).all())
        persons = session.execute(select(Person.uin, Person.status)).all()
        assert len({u for u, _ in persons}) == len(persons), "one UIN a person"
        assert all(is_valid_uin(u) for u in uins), "every UIN is valid"
        assert all(uins.get(u) == UIN_ACTIVE for u, s in persons if s in (PERSON_ACTIVE, PERSON_DECEASED))
        events = Counter(session.execute(select(HistoryEvent.action)).scalars())
        superseded = session.scalar(
            select(func.count()).select_from(SourceRecord).where(SourceRecord.status == SUPERSEDED)
        )
        assert events["created"] == len(status), "every person's creation is in the history"
        assert events["superseded"] == superseded, "every superseded version is in the history"
        merged = sum(1 for s in status.values() if s == PERSON_MERGED)
        assert events["merged"] >= merged and events["retired"] >= sum(
            1 for s in status.values() if s == PERSON_RETIRED
        )
    by_status: dict[str, set[str]] = {}
    for uin, state in uins.items():
        by_status.setdefault(state, set()).add(uin)
    return by_status
