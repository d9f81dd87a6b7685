"""Agency credentials and the short-lived tokens of the services.

A credential is `sjl_<key id>_<secret>`: the key id finds the row, the secret is compared with
the SHA-256 kept. The secrets are 256 random bits, not passwords a person chose, so a fast
hash is enough against guessing and keeps authentication cheap on every call.

Tokens (OAuth2 access tokens, resident sessions) are `<kind>.<claims>.<mac>`: claims in JSON
with their expiry, a MAC by a key of the services. They need no table; revoking the credential
behind an access token ends it.
"""

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import orjson

CREDENTIAL_PREFIX = "sjl_"
_HEX = re.compile(r"[0-9a-f]+")
KEY_ID_LENGTH = 12
ACCESS_TOKEN = "sjt"
RESIDENT_TOKEN = "sjr"


@dataclass(frozen=True)
class NewCredential:
    """A credential just drawn: the key id to store, the secret's hash, and the whole to print once."""

    key_id: str
    secret_hash: str
    credential: str


def new_credential() -> NewCredential:
    """Draw a new credential from the OS's CSPRNG."""
    key_id, secret = secrets.token_hex(KEY_ID_LENGTH // 2), secrets.token_urlsafe(32)
    return NewCredential(key_id, hash_secret(secret), f"{CREDENTIAL_PREFIX}{key_id}_{secret}")


def hash_secret(secret: str) -> str:
    """Return the SHA-256 (hex) of a credential's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def split_credential(value: str) -> tuple[str, str] | None:
    """Return (key id, secret) of a well-formed credential, None otherwise."""
    if not value.startswith(CREDENTIAL_PREFIX):
        return None
    rest = value[len(CREDENTIAL_PREFIX) :]
    key_id, sep, secret = (
        rest[:KEY_ID_LENGTH],
        rest[KEY_ID_LENGTH : KEY_ID_LENGTH + 1],
        rest[KEY_ID_LENGTH + 1 :],
    )
    if sep != "_" or not secret or len(key_id) != KEY_ID_LENGTH or not _HEX.fullmatch(key_id):
        return None
    return key_id, secret


def secret_matches(secret: str, secret_hash: str) -> bool:
    """Return True when the secret hashes to the kept hash (constant time)."""
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_token(*, key: bytes, kind: str, claims: dict[str, Any], ttl_seconds: int) -> str:
    """Return a token of this kind carrying the claims, valid for ttl_seconds."""
    body = _b64(orjson.dumps({**claims, "exp": int(time.time()) + ttl_seconds}))
    mac = hmac.new(key, f"{kind}.{body}".encode(), hashlib.sha256).digest()
    return f"{kind}.{body}.{_b64(mac)}"


def read_token(*, key: bytes, kind: str, token: str) -> dict[str, Any] | None:
    """Return the claims of a valid, unexpired token of this kind; None for anything else."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != kind:
        return None
    expected = hmac.new(key, f"{kind}.{parts[1]}".encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(expected, _unb64(parts[2])):
            return None
        claims = orjson.loads(_unb64(parts[1]))
    except (ValueError, orjson.JSONDecodeError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
        return None
    return claims
