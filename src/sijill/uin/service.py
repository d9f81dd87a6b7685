"""Issue, store and alias UINs: the one writer of the `uin` table.

A UIN is unique against every UIN ever issued, retired ones included, and is never deleted
nor renumbered (database triggers refuse it).
"""

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert, foreign_keys_checked_at_end
from sijill.uin.generate import new_uins
from sijill.uin.models import UIN_ACTIVE, UIN_ALIAS, UIN_RETIRED, Uin


def issue_uins(*, session: Session, count: int) -> list[str]:
    """Return `count` new UINs never issued before (not yet stored)."""
    fresh: set[str] = set()
    while len(fresh) < count:
        wanted = count - len(fresh)
        candidates = set(new_uins(wanted)) - fresh
        taken = _already_issued(session=session, candidates=candidates)
        fresh |= candidates - taken
    return list(fresh)  # set order: no tie between a UIN and the order persons were made


def _already_issued(*, session: Session, candidates: set[str]) -> set[str]:
    found: set[str] = set()
    if session.execute(select(Uin.uin).limit(1)).first() is None:
        return found  # none issued yet (a first build): a million look-ups saved
    ordered = list(candidates)
    for i in range(0, len(ordered), 5000):
        chunk = ordered[i : i + 5000]
        found.update(session.scalars(select(Uin.uin).where(Uin.uin.in_(chunk))))
    return found


def store_uins(*, session: Session, holders: Iterable[tuple[int, str]]) -> int:
    """Record newly issued UINs as the active UINs of these persons (person id, UIN)."""
    now = utcnow()
    rows = [
        {"uin": u, "person_id": p, "status": UIN_ACTIVE, "alias_of": None, "issued_at": now}
        for p, u in holders
    ]
    with foreign_keys_checked_at_end(session, Uin.__table__, rows=len(rows)):
        return bulk_insert(session, Uin.__table__, rows)


def alias_uins(*, session: Session, absorbed: list[int], survivor: int, survivor_uin: str) -> None:
    """Make every UIN of the absorbed persons an alias of the survivor's UIN."""
    session.execute(
        update(Uin)
        .where(Uin.person_id.in_(absorbed))
        .values(status=UIN_ALIAS, alias_of=survivor_uin, person_id=survivor)
    )


def retire_uins(*, session: Session, person_ids: list[int]) -> None:
    """Retire every UIN of these persons: kept forever, never issued again, leading nowhere new."""
    for i in range(0, len(person_ids), 5000):
        session.execute(
            update(Uin).where(Uin.person_id.in_(person_ids[i : i + 5000])).values(status=UIN_RETIRED)
        )


def holder_of(*, session: Session, uin: str) -> int | None:
    """Return the id of the person a UIN (active or alias) leads to, or None."""
    record = session.get(Uin, uin)
    return record.person_id if record is not None else None


def uins_of(*, session: Session, person_id: int) -> list[Uin]:
    """Return every UIN that leads to a person: its active UIN and its aliases, oldest first."""
    stmt = select(Uin).where(Uin.person_id == person_id).order_by(Uin.issued_at, Uin.uin)
    return list(session.scalars(stmt))
