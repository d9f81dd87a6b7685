"""A DCI client as OpenSPP's `spp_dci_client` drives a registry, written here from its behaviour.

It obtains an OAuth2 token at `/oauth2/client/token` (form body, client credentials), builds
envelopes with a header of uuid ids, an ISO timestamp, `total_count` and an empty `meta`, signs
`{"header", "message"}` (canonical JSON, SHA-256, HTTP-signature string, ed25519) and checks the
registry's signature with the key it publishes at `/.well-known/jwks.json`. It shares no code
with the register, so that the envelope is checked both ways.
"""

import base64
import hashlib
import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class DciClient:
    """Search, subscribe and ask statuses of an SPDCI registry as a social protection system."""

    def __init__(self, base_url: str, *, client_id: str, client_secret: str, sender_id: str) -> None:
        self.base_url = base_url
        self.client_id, self.client_secret, self.sender_id = client_id, client_secret, sender_id
        self.key = Ed25519PrivateKey.generate()
        self.key_id = "key-1"
        self._token: str | None = None
        self.sender_uri = ""  # where the registry sends notifications (none: no notifications)
        self.notified: list[dict[str, Any]] = []  # notify events received, as the receiver stored them

    def token(self) -> str:
        """Return a cached OAuth2 access token (client credentials in the form body)."""
        if self._token is None:
            answer = httpx.post(
                f"{self.base_url}/oauth2/client/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
            )
            answer.raise_for_status()
            self._token = answer.json()["access_token"]
        assert self._token is not None
        return self._token

    def digest(self, header: dict[str, Any], message: Any) -> str:
        text = json.dumps({"header": header, "message": message}, sort_keys=True, separators=(",", ":"))
        return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")

    def sign(self, header: dict[str, Any], message: Any) -> str:
        created = int(time.time())
        expires = created + 300
        signed = f"(created): {created}\n(expires): {expires}\ndigest: {self.digest(header, message)}"
        signature = base64.b64encode(self.key.sign(signed.encode("utf-8"))).decode("ascii")
        return (
            f'namespace="dci", kidId="{self.sender_id}|{self.key_id}|ed25519", algorithm="ed25519", '
            f'created="{created}", expires="{expires}", headers="(created) (expires) digest", '
            f'signature="{signature}"'
        )

    def envelope(self, action: str, message: dict[str, Any], *, count: int = 1) -> dict[str, Any]:
        header = {
            "version": "1.0.0",
            "message_id": str(uuid.uuid4()),
            "message_ts": _now(),
            "action": action,
            "sender_id": self.sender_id,
            "sender_uri": self.sender_uri,
            "receiver_id": "register.sijill.example.org",
            "total_count": count,
            "is_msg_encrypted": False,
            "meta": {},
        }
        return {"signature": self.sign(header, message), "header": header, "message": message}

    def post(self, path: str, envelope: dict[str, Any]) -> httpx.Response:
        return httpx.post(
            f"{self.base_url}{path}",
            json=envelope,
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
        )

    def search(self, query_type: str, query: Any, *, page_size: int = 10, page: int = 1) -> dict[str, Any]:
        """Run one sync search as `DCIClient.search` does; return the registry's envelope."""
        item = {
            "reference_id": str(uuid.uuid4()),
            "timestamp": _now(),
            "search_criteria": {
                "version": "1.0.0",
                "reg_type": "ns:org:RegistryType:Civil",
                "query_type": query_type,
                "query": query,
                "pagination": {"page_size": page_size, "page_number": page},
            },
        }
        answer = self.post(
            "/registry/sync/search",
            self.envelope("search", {"transaction_id": str(uuid.uuid4()), "search_request": [item]}),
        )
        answer.raise_for_status()
        return dict(answer.json())

    def subscribe(self, event_type: str) -> dict[str, Any]:
        message = {
            "transaction_id": str(uuid.uuid4()),
            "subscribe_request": [
                {
                    "reference_id": str(uuid.uuid4()),
                    "timestamp": _now(),
                    "subscribe_criteria": {
                        "reg_event_type": event_type,
                        "notify_record_type": "Person",
                        "filter": {"type": "*", "value": "*"},
                    },
                }
            ],
        }
        answer = self.post("/registry/subscribe", self.envelope("subscribe", message))
        answer.raise_for_status()
        return dict(answer.json())

    def notify(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Notify the registry of events, as a civil registration system does."""
        message = {"transaction_id": str(uuid.uuid4()), "notify_event": items}
        answer = self.post("/registry/notify", self.envelope("notify", message, count=len(items)))
        answer.raise_for_status()
        return dict(answer.json())

    def txn_status(self, attribute_type: str, value: Any, txn_type: str) -> dict[str, Any]:
        message = {
            "transaction_id": str(uuid.uuid4()),
            "txnstatus_request": {
                "reference_id": str(uuid.uuid4()),
                "txn_type": txn_type,
                "attribute_type": attribute_type,
                "attribute_value": value,
            },
        }
        answer = self.post("/registry/sync/txn/status", self.envelope("txn-status", message))
        answer.raise_for_status()
        return dict(answer.json())

    def registry_key(self) -> Ed25519PublicKey:
        """Return the registry's signing key from its JWKS."""
        jwk = httpx.get(f"{self.base_url}/.well-known/jwks.json").json()["keys"][0]
        assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
        return Ed25519PublicKey.from_public_bytes(
            base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
        )

    def registry_signed(self, envelope: dict[str, Any]) -> bool:
        """Return True when an answer's signature verifies with the registry's published key."""
        params = dict(re.findall(r'(\w+)="([^"]*)"', envelope["signature"]))
        signed = (
            f"(created): {params['created']}\n(expires): {params['expires']}\n"
            f"digest: {self.digest(envelope['header'], envelope['message'])}"
        )
        try:
            self.registry_key().verify(base64.b64decode(params["signature"]), signed.encode("utf-8"))
        except InvalidSignature:
            return False
        return True

    def receive_notify(self, request: httpx.Request) -> httpx.Response:
        """Answer the registry's POST to our `/registry/notify`: ACK a signed envelope, ERR another."""
        envelope = json.loads(request.content)
        header = envelope.get("header", {})
        valid = (
            request.url.path.endswith("/registry/notify")
            and header.get("action") == "notify"
            and header.get("receiver_id") == self.sender_id
            and self.registry_signed(envelope)
            and header.get("total_count") == len(envelope["message"]["notify_event"])
        )
        if valid:
            self.notified += envelope["message"]["notify_event"]
        status = "ACK" if valid else "ERR"
        return httpx.Response(200, json={"message": {"ack_status": status, "timestamp": _now()}})
