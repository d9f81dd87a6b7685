"""The SPDCI (G2P Connect) message envelope: `{signature, header, message}`, signed with ed25519.

As the DCI signers do (HTTP Signatures, draft-cavage, as OpenSPP's DCI client writes them):
the digest is the SHA-256 of `{"header": ..., "message": ...}` as canonical JSON (keys sorted,
no spaces, non-ASCII escaped), the signed string is
`(created): C\\n(expires): E\\ndigest: D`, and the signature travels as

    namespace="dci", kidId="<sender id>|<key id>|ed25519", algorithm="ed25519",
    created="C", expires="E", headers="(created) (expires) digest", signature="<base64>"
"""

import base64
import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

ALGORITHM = "ed25519"
SIGNATURE_SECONDS = 300
CLOCK_SKEW_SECONDS = 60
_PARAM = re.compile(r'(\w+)="([^"]*)"')


def digest_of(header: dict[str, Any], message: Any) -> str:
    """Return the base64 SHA-256 of the canonical JSON of header and message."""
    canonical = json.dumps({"header": header, "message": message}, sort_keys=True, separators=(",", ":"))
    return base64.b64encode(hashlib.sha256(canonical.encode()).digest()).decode()


def _signing_string(created: int, expires: int, digest: str) -> bytes:
    return f"(created): {created}\n(expires): {expires}\ndigest: {digest}".encode()


def sign_envelope(
    key: Ed25519PrivateKey,
    header: dict[str, Any],
    message: Any,
    *,
    sender_id: str,
    key_id: str,
    now: int | None = None,
) -> str:
    """Return the signature of an envelope's header and message."""
    created = int(time.time()) if now is None else now
    expires = created + SIGNATURE_SECONDS
    signature = key.sign(_signing_string(created, expires, digest_of(header, message)))
    return (
        f'namespace="dci", kidId="{sender_id}|{key_id}|{ALGORITHM}", algorithm="{ALGORITHM}", '
        f'created="{created}", expires="{expires}", headers="(created) (expires) digest", '
        f'signature="{base64.b64encode(signature).decode()}"'
    )


@dataclass(frozen=True)
class SignatureCheck:
    """Whether a signature holds, and if not why (an SPDCI error code and a message)."""

    valid: bool
    code: str = ""
    reason: str = ""


def verify_envelope(
    public_key: Ed25519PublicKey,
    signature: str | None,
    header: dict[str, Any],
    message: Any,
    *,
    now: int | None = None,
) -> SignatureCheck:
    """Check an envelope's signature: present, ed25519, current, and over this header and message."""
    if not signature:
        return SignatureCheck(False, "err.signature.missing", "the envelope carries no signature")
    params = dict(_PARAM.findall(signature))
    if params.get("algorithm") != ALGORITHM or not {"created", "expires", "signature"} <= set(params):
        return SignatureCheck(False, "err.signature.invalid", "the signature is not an ed25519 DCI signature")
    try:
        created, expires = int(params["created"]), int(params["expires"])
        raw = base64.b64decode(params["signature"], validate=True)
    except ValueError:
        return SignatureCheck(False, "err.signature.invalid", "the signature's fields are malformed")
    moment = int(time.time()) if now is None else now
    if expires < moment or created > moment + CLOCK_SKEW_SECONDS:
        return SignatureCheck(False, "err.signature.invalid", "the signature has expired or is not yet valid")
    try:
        public_key.verify(raw, _signing_string(created, expires, digest_of(header, message)))
    except InvalidSignature:
        return SignatureCheck(
            False, "err.signature.invalid", "the signature does not match the header and message"
        )
    return SignatureCheck(True)


def public_key_of(text: str) -> Ed25519PublicKey:
    """Read an ed25519 public key from PEM or from its 32 raw bytes in base64; ValueError otherwise."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the key is not an ed25519 public key")
        return key
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError("an ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def raw_public_key(key: Ed25519PublicKey) -> str:
    """Return the 32 raw bytes of a public key in base64 (how the register keeps agencies' keys)."""
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def jwk_of(key: Ed25519PublicKey, key_id: str) -> dict[str, str]:
    """Return a public key as a JSON Web Key (RFC 8037, OKP / Ed25519)."""
    x = base64.urlsafe_b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": key_id, "use": "sig", "alg": "EdDSA"}
