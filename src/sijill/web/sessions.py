"""Desk sessions: a random cookie whose digest is stored, a CSRF token, idle and absolute expiry.

The cookie itself is never stored: a copy of the table does not let anyone sign in.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.web.models import DeskSession, DeskUser, as_utc
from sijill.web.settings import desk_settings

TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def open_session(*, session: Session, user: DeskUser) -> str:
    """Start a session for a user who has just signed in; return the cookie value."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        DeskSession(
            id=_digest(token),
            user_id=user.id,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            last_seen=now,
            expires_at=now + desk_settings().max_age,
        )
    )
    session.flush()
    return token


def find_session(*, session: Session, token: str | None) -> DeskSession | None:
    """Return the session behind a cookie, live or expired, or None (reads only)."""
    return session.get(DeskSession, _digest(token)) if token else None


def session_expired(row: DeskSession) -> bool:
    """Return True when a session has passed its absolute lifetime or sat idle too long."""
    now = utcnow()
    return as_utc(row.expires_at) <= now or now - as_utc(row.last_seen) > desk_settings().idle


def touch_due(row: DeskSession) -> bool:
    """Return True when a live session's last activity should be written again."""
    return utcnow() - as_utc(row.last_seen) > TOUCH_EVERY


def touch_session(*, session: Session, token: str) -> None:
    """Write that a session was active now (it stays alive while used)."""
    row = session.get(DeskSession, _digest(token))
    if row is not None:
        row.last_seen = utcnow()


def csrf_matches(expected: str, offered: object) -> bool:
    """Return True when the token offered by a form or header is the session's (constant time)."""
    return isinstance(offered, str) and bool(offered) and hmac.compare_digest(expected, offered)


def close_session(*, session: Session, token: str | None) -> None:
    """End the session behind a cookie (sign out)."""
    if token:
        session.execute(delete(DeskSession).where(DeskSession.id == _digest(token)))


def close_sessions_of(*, session: Session, user_id: int) -> None:
    """End every session of a user (after a password change or when disabled)."""
    session.execute(delete(DeskSession).where(DeskSession.user_id == user_id))


def purge_sessions(*, session: Session) -> int:
    """Remove every expired session; return how many."""
    now = utcnow()
    result = session.execute(
        delete(DeskSession).where(
            or_(DeskSession.expires_at <= now, DeskSession.last_seen < now - desk_settings().idle)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
