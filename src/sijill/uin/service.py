"""Issue UINs unique against every UIN ever issued, retired ones included."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.register.models import Uin
from sijill.uin.generate import new_uins


def issue_uins(*, session: Session, count: int) -> list[str]:
    """Return `count` new UINs never issued before (not yet stored)."""
    fresh: set[str] = set()
    while len(fresh) < count:
        wanted = count - len(fresh)
        candidates = set(new_uins(wanted)) - fresh
        taken = _already_issued(session=session, candidates=candidates)
        fresh |= candidates - taken
    return list(fresh)


def _already_issued(*, session: Session, candidates: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = list(candidates)
    for i in range(0, len(ordered), 5000):
        chunk = ordered[i : i + 5000]
        found.update(session.scalars(select(Uin.uin).where(Uin.uin.in_(chunk))))
    return found
