"""One-time codes that let a resident in: sent through a pluggable notifier, kept as a MAC only.

A code has 6 digits, lives 5 minutes and allows 5 tries; at most 3 codes per UIN are sent in
15 minutes. Asking for a code answers the same whether or not the number is a resident's, so
the endpoint cannot be used to learn which UINs exist.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.identity.keys import ONE_TIME_CODE_KEY, service_secret
from sijill.identity.models import OneTimeCode

CODE_DIGITS = 6
CODE_MINUTES = 5
MAX_ATTEMPTS = 5
MAX_CODES = 3
CODES_WINDOW_MINUTES = 15


class Notifier(Protocol):
    """Delivers a one-time code to the resident holding a UIN (SMS, e-mail, the outbox ...)."""

    def send_code(self, *, session: Session, uin: str, code: str, expires_at: datetime) -> None:
        """Deliver the code, inside the caller's transaction when the channel is the register."""


def _mac(session: Session, uin: str, code: str) -> str:
    key = service_secret(session=session, name=ONE_TIME_CODE_KEY)
    return hmac.new(key, f"{uin}:{code}".encode(), hashlib.sha256).hexdigest()


def request_code(*, session: Session, uin: str, notifier: Notifier) -> bool:
    """Draw a code for this UIN and have it delivered; False when too many were sent lately."""
    now = utcnow()
    recent = session.scalar(
        select(func.count())
        .select_from(OneTimeCode)
        .where(OneTimeCode.uin == uin, OneTimeCode.created_at > now - timedelta(minutes=CODES_WINDOW_MINUTES))
    )
    if (recent or 0) >= MAX_CODES:
        return False
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    expires_at = now + timedelta(minutes=CODE_MINUTES)
    session.add(
        OneTimeCode(uin=uin, code_hash=_mac(session, uin, code), created_at=now, expires_at=expires_at)
    )
    session.flush()
    notifier.send_code(session=session, uin=uin, code=code, expires_at=expires_at)
    return True


def redeem_code(*, session: Session, uin: str, code: str) -> bool:
    """Return True when the code is this UIN's latest live code; every try counts, success spends it."""
    now = utcnow()
    row = session.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.uin == uin, OneTimeCode.used_at.is_(None), OneTimeCode.expires_at > now)
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )
    if row is None or row.attempts >= MAX_ATTEMPTS:
        return False
    session.execute(
        update(OneTimeCode).where(OneTimeCode.id == row.id).values(attempts=OneTimeCode.attempts + 1)
    )
    if not hmac.compare_digest(row.code_hash, _mac(session, uin, code)):
        return False
    session.execute(update(OneTimeCode).where(OneTimeCode.id == row.id).values(used_at=now))
    return True
