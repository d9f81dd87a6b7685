"""Keys of the services, kept in the register: token MACs, sector token keys, the SPDCI signing key.

Each key is drawn from the OS's CSPRNG the first time it is needed and kept; two processes
creating the same key at once both end up using the one stored first.
"""

import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sijill.identity.models import SectorKey, ServiceKey

ACCESS_TOKEN_KEY = "access-token"
RESIDENT_TOKEN_KEY = "resident-token"
REGISTRY_SIGNING_KEY = "registry-ed25519"
ONE_TIME_CODE_KEY = "one-time-code"
_KEY_BYTES = 32


def service_secret(*, session: Session, name: str) -> bytes:
    """Return the secret of one of the services' keys, creating it on first use."""
    return _get_or_create(session=session, model=ServiceKey, column="name", name=name)


def sector_secret(*, session: Session, sector: str) -> bytes:
    """Return the HMAC key of a sector's tokens, creating it on first use."""
    return _get_or_create(session=session, model=SectorKey, column="sector", name=sector)


def registry_signing_key(*, session: Session) -> Ed25519PrivateKey:
    """Return the ed25519 key that signs the register's SPDCI messages."""
    seed = service_secret(session=session, name=REGISTRY_SIGNING_KEY)
    return Ed25519PrivateKey.from_private_bytes(seed)


def _get_or_create(
    *, session: Session, model: type[ServiceKey] | type[SectorKey], column: str, name: str
) -> bytes:
    key_column = getattr(model, column)
    held = session.scalar(select(model.secret).where(key_column == name))
    if held is not None:
        return bytes.fromhex(held)
    try:
        with session.begin_nested():
            session.add(model(**{column: name, "secret": secrets.token_hex(_KEY_BYTES)}))
    except IntegrityError:
        pass  # another process stored it first: use theirs
    held = session.scalar(select(model.secret).where(key_column == name))
    assert held is not None
    return bytes.fromhex(held)


SERVICE_KEYS = (ACCESS_TOKEN_KEY, RESIDENT_TOKEN_KEY, REGISTRY_SIGNING_KEY, ONE_TIME_CODE_KEY)


def prepare_keys(engine: Engine) -> None:
    """Create every key of the services that does not exist yet, in one transaction."""
    from sijill.db.engine import session_scope

    with session_scope(engine) as session:
        for name in SERVICE_KEYS:
            service_secret(session=session, name=name)
