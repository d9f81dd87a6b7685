"""Sector tokens: a keyed one-way pseudonym of a UIN, stable within a sector, unlinkable across.

`token = base32(HMAC-SHA256(sector key, UIN))[:32]`. The programs of one sector hold the same
token for a person and can join their files on it; two sectors' tokens of one person share
nothing, and neither reveals the UIN: only the register, holding the keys, can link them.
"""

import base64
import hashlib
import hmac

from sqlalchemy.orm import Session

from sijill.identity.keys import sector_secret

TOKEN_LENGTH = 32


def sector_token_with(key: bytes, uin: str) -> str:
    """Return the token of a UIN under a sector key."""
    digest = hmac.new(key, uin.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:TOKEN_LENGTH]


def sector_token(*, session: Session, sector: str, uin: str) -> str:
    """Return the token of a UIN in a sector (the surviving UIN after a merge, for stability)."""
    return sector_token_with(sector_secret(session=session, sector=sector), uin)
