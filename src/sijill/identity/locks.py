"""Residents' locks on authentication: every operation ('*') or one (verify, persons ...)."""

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sijill.identity.errors import InvalidRequest
from sijill.identity.models import AuthLock
from sijill.identity.policies import ALL_OPERATIONS, LOCKABLE


def _lockable(operation: str) -> str:
    if operation != ALL_OPERATIONS and operation not in LOCKABLE:
        raise InvalidRequest(f"operation must be one of {', '.join(LOCKABLE)}, or * for all of them")
    return operation


def lock(*, session: Session, uin: str, operation: str, by: str) -> bool:
    """Lock an operation on a UIN; return False when it was locked already."""
    operation = _lockable(operation)
    if session.get(AuthLock, (uin, operation)) is not None:
        return False
    session.add(AuthLock(uin=uin, operation=operation, locked_by=by))
    session.flush()
    return True


def unlock(*, session: Session, uin: str, operation: str) -> bool:
    """Lift a lock; return False when there was none."""
    result = session.execute(
        delete(AuthLock).where(AuthLock.uin == uin, AuthLock.operation == _lockable(operation))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def locks_of(*, session: Session, uin: str) -> list[AuthLock]:
    """Return the locks of a UIN."""
    return list(session.scalars(select(AuthLock).where(AuthLock.uin == uin).order_by(AuthLock.operation)))
