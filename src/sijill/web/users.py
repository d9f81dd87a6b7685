"""The desk's users: created from the command line, passwords kept as scrypt digests."""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.errors import NotFound, UsageError
from sijill.web.models import DeskUser, as_utc
from sijill.web.roles import ROLES
from sijill.web.sessions import close_sessions_of

LANGUAGES = ("fr", "ar")
MIN_PASSWORD = 10
# scrypt at n=2**14, r=8: 16 MiB and some 50 ms a check, as OWASP's password guidance has it.
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LEN = 2**14, 8, 1, 32
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """Return a salted scrypt digest of a password, with its parameters."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=SCRYPT_LEN
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    """Return True when the password is the one behind the stored digest."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        password.encode("utf-8"),
        salt=base64.b64decode(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(expected),
    )
    return hmac.compare_digest(actual, expected)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")


def create_user(*, session: Session, name: str, role: str, password: str, language: str = "fr") -> DeskUser:
    """Create a desk user with one of the roles; refuse a taken name or a weak password."""
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UsageError("a user name is 1 to 64 letters, digits, '.', '-' or '_'")
    _check_password(password)
    if get_user(session=session, name=name) is not None:
        raise UsageError(f"a desk user named {name!r} already exists")
    user = DeskUser(name=name, role=role, password_hash=hash_password(password), language=language)
    session.add(user)
    session.flush()
    return user


def get_user(*, session: Session, name: str) -> DeskUser | None:
    """Return the desk user of this name, or None."""
    return session.scalars(select(DeskUser).where(DeskUser.name == name)).first()


def list_users(*, session: Session) -> list[DeskUser]:
    """Return every desk user, by name."""
    return list(session.scalars(select(DeskUser).order_by(DeskUser.name)))


def set_password(*, session: Session, name: str, password: str) -> DeskUser:
    """Give a user a new password and lift any lockout."""
    user = get_user(session=session, name=name)
    if user is None:
        raise NotFound(f"no desk user named {name!r}")
    _check_password(password)
    user.password_hash, user.failed_logins, user.locked_until = hash_password(password), 0, None
    close_sessions_of(session=session, user_id=user.id)
    return user


def set_active(*, session: Session, name: str, active: bool) -> DeskUser:
    """Enable or disable a user; a disabled user cannot sign in."""
    user = get_user(session=session, name=name)
    if user is None:
        raise NotFound(f"no desk user named {name!r}")
    user.active = active
    if not active:
        close_sessions_of(session=session, user_id=user.id)
    return user


def set_language(*, session: Session, user: DeskUser, language: str) -> None:
    """Choose the language the desk speaks to this user."""
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    user.language = language


def _locked(user: DeskUser, now: datetime) -> bool:
    return user.locked_until is not None and as_utc(user.locked_until) > now


def authenticate(*, session: Session, name: str, password: str) -> DeskUser | None:
    """Return the user when the name and password match; count failures and lock out.

    The digest is computed even for an unknown name, so that the time taken does not tell
    which names exist.
    """
    user = get_user(session=session, name=name)
    now = utcnow()
    stored = user.password_hash if user is not None else _dummy_hash()
    matches = password_matches(password, stored)
    if user is None or not user.active or _locked(user, now):
        return None
    if not matches:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        return None
    user.failed_logins, user.locked_until = 0, None
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
