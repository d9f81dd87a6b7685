"""The SPDCI registry interface (registry core API v1.0.0) beside `/v1`.

`/registry/sync/search` (idtype-value, expression, predicate), `/registry/subscribe` and
`/registry/unsubscribe` (births, deaths), `/registry/txn/status` and `/registry/sync/txn/status`,
and the register's signature key at `/.well-known/jwks.json`. Requests are envelopes
`{signature, header, message}`: the agency authenticates with its Bearer token as on `/v1`,
and signs header and message with the ed25519 key registered for it (`sijill agencies key`);
the register signs its answers with its own key. Asynchronous calls are acknowledged (ACK) and
their outcome read with `/registry/sync/txn/status`; the one call the register makes is the
`notify` of births and deaths to a subscriber's own `/registry/notify` (`sijill.identity.notify`).
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from sijill.api.deps import AgencyCall, ServicesDep, require
from sijill.api.runtime import Services
from sijill.identity import OutsidePolicy, Unauthenticated
from sijill.identity.envelope import jwk_of, public_key_of, sign_envelope, verify_envelope
from sijill.identity.notify import REGISTRY_KEY_ID
from sijill.identity.registry import (
    QueryRefused,
    event_of,
    record_transaction,
    search_persons,
    subscribe,
    transactions_of,
    unsubscribe,
)

router = APIRouter(tags=["spdci registry"])
VERSION = "1.0.0"
MAX_ITEMS = 10
# An agency reads the status of its own transactions, whichever SPDCI operation it was allowed.
STATUS_OPERATIONS = ("registry.search", "registry.subscribe", "registry.notify")


class MsgHeader(BaseModel):
    """The header of an SPDCI request; strict types, so that it is signed as it was sent."""

    model_config = ConfigDict(extra="allow")

    version: StrictStr = VERSION
    message_id: StrictStr = Field(min_length=1, max_length=99)
    message_ts: StrictStr = Field(min_length=1, max_length=64)
    action: StrictStr = Field(min_length=1, max_length=32)
    sender_id: StrictStr = Field(min_length=1, max_length=99)
    sender_uri: StrictStr | None = None
    receiver_id: StrictStr | None = None
    total_count: StrictInt = Field(ge=0)
    is_msg_encrypted: StrictBool = False
    meta: dict[str, Any] | None = None


class Envelope(BaseModel):
    """An SPDCI request: signature, header and message."""

    signature: StrictStr | None = Field(default=None, max_length=2048)
    header: MsgHeader
    message: dict[str, Any]

    @model_validator(mode="after")
    def _storable(self) -> "Envelope":
        if _holds_nul(self.message) or _holds_nul(self.header.model_dump()):
            raise ValueError("the NUL character is not allowed in an envelope")
        return self


def _holds_nul(value: Any) -> bool:
    """Return True when a JSON value holds the NUL character anywhere (keys included)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class Ack(BaseModel):
    """An acknowledgement (ACK, NACK or ERR) of an asynchronous call."""

    message: dict[str, Any]


class SignatureRefused(Unauthenticated):
    """An envelope whose signature is missing or does not verify."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_envelope(call: AgencyCall, envelope: Envelope, action: str) -> str | None:
    """Check signature, sender and action; return an SPDCI header reason code to reject with, or None."""
    grant = call.grant
    if grant.public_key is None or grant.sender_id is None:
        raise SignatureRefused("err.signature.missing", "no signing key is registered for this agency")
    header = envelope.header.model_dump(mode="json", exclude_unset=True)
    check = verify_envelope(public_key_of(grant.public_key), envelope.signature, header, envelope.message)
    if not check.valid:
        raise SignatureRefused(check.code, check.reason)
    if envelope.header.sender_id != grant.sender_id:
        raise OutsidePolicy("sender_id")
    if envelope.header.action != action:
        return "rjct.action.invalid"
    if envelope.header.is_msg_encrypted:
        return "rjct.action.not_supported"
    return None


def _signed(
    services: Services, receiver: str, action: str, message: dict[str, Any], **status: Any
) -> dict[str, Any]:
    """Return the register's signed answer envelope."""
    header = {
        "version": VERSION,
        "message_id": str(uuid.uuid4()),
        "message_ts": _now(),
        "action": action,
        "sender_id": services.settings.registry_id,
        "receiver_id": receiver,
        "is_msg_encrypted": False,
        "meta": {},
        **status,
    }
    assert services.registry_key is not None  # loaded when the app starts
    signature = sign_envelope(
        services.registry_key,
        header,
        message,
        sender_id=services.settings.registry_id,
        key_id=REGISTRY_KEY_ID,
    )
    return {"signature": signature, "header": header, "message": message}


def _rejected(services: Services, envelope: Envelope, action: str, code: str) -> dict[str, Any]:
    message = {"transaction_id": str(envelope.message.get("transaction_id", "")), "correlation_id": ""}
    return _signed(
        services,
        envelope.header.sender_id,
        action,
        message,
        status="rjct",
        status_reason_code=code,
        total_count=0,
    )


def request_items(envelope: Envelope, key: str) -> list[dict[str, Any]] | str:
    """Return the request items of a message, or the header reason code to reject it with."""
    items = envelope.message.get(key)
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        return "rjct.action.invalid"
    if len(items) > MAX_ITEMS:
        return "rjct.total_count.limit_exceeded"
    if envelope.header.total_count != len(items):
        return "rjct.total_count.invalid"
    return items


@router.post("/registry/sync/search", summary="SPDCI search: idtype-value, expression or predicate")
def sync_search(
    envelope: Envelope, call: Annotated[AgencyCall, Depends(require("registry.search"))]
) -> dict[str, Any]:
    """Search persons; each item answers with the records the agency's policy allows, signed."""
    services = call.services
    reason = check_envelope(call, envelope, "search")
    items = request_items(envelope, "search_request") if reason is None else reason
    if isinstance(items, str):
        call.audit.outcome = "rejected"
        return _rejected(services, envelope, "on-search", items)
    transaction_id = str(envelope.message.get("transaction_id", ""))
    with services.session() as session:
        answers = [_search_item(session, call, item) for item in items]
        statuses = [{k: a[k] for k in ("reference_id", "timestamp", "status")} for a in answers]
        txn = record_transaction(
            session=session,
            agency_id=call.grant.agency_id,
            message_id=envelope.header.message_id,
            transaction_id=transaction_id,
            action="search",
            status="succ",
            summary={"reference_ids": [a["reference_id"] for a in answers], "responses": statuses},
        )
        if txn is None:
            session.rollback()
            call.audit.touched.clear()
            return _rejected(services, envelope, "on-search", "rjct.message_id.duplicate")
    completed = sum(a["status"] == "succ" for a in answers)
    message = {
        "transaction_id": transaction_id,
        "correlation_id": txn.correlation_id,
        "search_response": answers,
    }
    status = "succ" if completed else "rjct"
    return _signed(
        services,
        envelope.header.sender_id,
        "on-search",
        message,
        status=status,
        total_count=len(answers),
        completed_count=completed,
    )


def _search_item(session: Any, call: AgencyCall, item: dict[str, Any]) -> dict[str, Any]:
    criteria = item.get("search_criteria") if isinstance(item.get("search_criteria"), dict) else {}
    assert isinstance(criteria, dict)
    paging = criteria.get("pagination") if isinstance(criteria.get("pagination"), dict) else {}
    assert isinstance(paging, dict)
    answer: dict[str, Any] = {"reference_id": str(item.get("reference_id", "")), "timestamp": _now()}
    try:
        size, page = int(paging.get("page_size", 10)), int(paging.get("page_number", 1))
        found = search_persons(
            session=session,
            grant=call.grant,
            query_type=str(criteria.get("query_type", "")),
            query=criteria.get("query"),
            page_size=size,
            page_number=page,
        )
    except (TypeError, ValueError):
        return answer | {"status": "rjct", "status_reason_code": "rjct.pagination.invalid"}
    except QueryRefused as refused:
        return answer | {
            "status": "rjct",
            "status_reason_code": refused.code,
            "status_reason_message": str(refused),
        }
    call.audit.touched += found.disclosed
    data = {
        "version": VERSION,
        "reg_type": criteria.get("reg_type") or "ns:sijill:RegistryType:Population",
        "reg_record_type": "person",
        "reg_records": found.records,
    }
    if criteria.get("reg_event_type"):
        data["reg_event_type"] = criteria["reg_event_type"]
    pagination = {"page_size": size, "page_number": page, "total_count": found.total}
    return answer | {
        "status": "succ",
        "data": data,
        "pagination": pagination,
        "locale": item.get("locale") or "eng",
    }


def ack_answer(correlation_id: str, error: tuple[str, str] | None = None) -> Ack:
    message: dict[str, Any] = {
        "ack_status": "ERR" if error else "ACK",
        "timestamp": _now(),
        "correlation_id": correlation_id,
    }
    if error:
        message["error"] = {"code": error[0], "message": error[1]}
    return Ack(message=message)


@router.post("/registry/subscribe", summary="SPDCI subscribe to births or deaths")
def registry_subscribe(
    envelope: Envelope, call: Annotated[AgencyCall, Depends(require("registry.subscribe"))]
) -> Ack:
    """Record subscriptions to life events; the codes are read back with the transaction's status."""
    reason = check_envelope(call, envelope, "subscribe")
    items = request_items(envelope, "subscribe_request") if reason is None else reason
    if isinstance(items, str):
        return ack_answer("", ("err.request.bad", items))
    with call.services.session() as session:
        answers = [_subscribe_item(session, call, item, envelope.header.sender_uri) for item in items]
        txn = record_transaction(
            session=session,
            agency_id=call.grant.agency_id,
            message_id=envelope.header.message_id,
            transaction_id=str(envelope.message.get("transaction_id", "")),
            action="subscribe",
            status="succ",
            summary={
                "reference_ids": [a["reference_id"] for a in answers],
                "subscription_codes": [s["code"] for a in answers for s in a.get("subscriptions", [])],
                "responses": answers,
            },
        )
        if txn is None:
            session.rollback()
            return ack_answer("", ("err.request.bad", "rjct.message_id.duplicate"))
        return ack_answer(txn.correlation_id)


def _subscribe_item(
    session: Any, call: AgencyCall, item: dict[str, Any], sender_uri: str | None
) -> dict[str, Any]:
    criteria = item.get("subscribe_criteria") if isinstance(item.get("subscribe_criteria"), dict) else {}
    assert isinstance(criteria, dict)
    answer: dict[str, Any] = {"reference_id": str(item.get("reference_id", "")), "timestamp": _now()}
    event = event_of(criteria.get("reg_event_type"))
    if event is None:
        return answer | {"status": "rjct", "status_reason_code": "rjct.notify_types.invalid"}
    filter_ = criteria.get("filter") if isinstance(criteria.get("filter"), dict) else {}
    row = subscribe(
        session=session,
        agency_id=call.grant.agency_id,
        event_type=event,
        notify_record_type=str(criteria.get("notify_record_type") or "person"),
        filter=filter_ or {},
        sender_uri=sender_uri,
    )
    subscription = {"code": row.code, "status": "subscribe", "timestamp": _now(), "reg_event_type": event}
    return answer | {"status": "succ", "subscriptions": [subscription]}


@router.post("/registry/unsubscribe", summary="SPDCI unsubscribe")
def registry_unsubscribe(
    envelope: Envelope, call: Annotated[AgencyCall, Depends(require("registry.subscribe"))]
) -> Ack:
    """End the agency's subscriptions named by their codes."""
    if (reason := check_envelope(call, envelope, "unsubscribe")) is not None:
        return ack_answer("", ("err.request.bad", reason))
    codes = envelope.message.get("subscription_codes") or envelope.message.get("subscription_code")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        return ack_answer("", ("err.request.bad", "subscription_codes is a list of codes"))
    with call.services.session() as session:
        states = unsubscribe(session=session, agency_id=call.grant.agency_id, codes=codes)
        txn = record_transaction(
            session=session,
            agency_id=call.grant.agency_id,
            message_id=envelope.header.message_id,
            transaction_id=str(envelope.message.get("transaction_id", "")),
            action="unsubscribe",
            status="succ",
            summary={"subscription_codes": codes, "states": states},
        )
        if txn is None:
            session.rollback()
            return ack_answer("", ("err.request.bad", "rjct.message_id.duplicate"))
        return ack_answer(txn.correlation_id)


def _status_of(session: Any, call: AgencyCall, envelope: Envelope) -> dict[str, Any] | str:
    request = envelope.message.get("txnstatus_request")
    if not isinstance(request, dict):
        return "rjct.action.invalid"
    attribute, value = str(request.get("attribute_type", "")), request.get("attribute_value")
    values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    txns = transactions_of(
        session=session, agency_id=call.grant.agency_id, attribute=attribute, values=values
    )
    wanted = str(request.get("txn_type") or "")
    txns = [t for t in txns if not wanted or t.action == wanted]
    if not txns:
        return {"txn_type": f"on-{wanted or 'search'}", "txn_status": {}}
    txn = txns[-1]
    key = "search_response" if txn.action == "search" else f"{txn.action}_response"
    status = {"transaction_id": txn.transaction_id, "correlation_id": txn.correlation_id}
    status[key] = txn.summary.get("responses", [])
    return {"txn_type": f"on-{txn.action}", "txn_status": status}


@router.post("/registry/sync/txn/status", summary="SPDCI status of earlier transactions")
def sync_txn_status(
    envelope: Envelope,
    call: Annotated[AgencyCall, Depends(require("registry.status", any_of=STATUS_OPERATIONS))],
) -> dict[str, Any]:
    """Return the status of the agency's earlier searches and subscriptions (no personal data)."""
    services = call.services
    if (reason := check_envelope(call, envelope, "txn-status")) is not None:
        return _rejected(services, envelope, "txn-on-status", reason)
    with services.session() as session:
        found = _status_of(session, call, envelope)
    if isinstance(found, str):
        return _rejected(services, envelope, "txn-on-status", found)
    message = {
        "transaction_id": str(envelope.message.get("transaction_id", "")),
        "correlation_id": str(uuid.uuid4()),
        "txnstatus_response": found,
    }
    return _signed(
        services, envelope.header.sender_id, "txn-on-status", message, status="succ", total_count=1
    )


@router.post("/registry/txn/status", summary="SPDCI status of earlier transactions (acknowledged)")
def txn_status(
    envelope: Envelope,
    call: Annotated[AgencyCall, Depends(require("registry.status", any_of=STATUS_OPERATIONS))],
) -> Ack:
    """Acknowledge a status request; the register makes no callbacks: use `/registry/sync/txn/status`."""
    if (reason := check_envelope(call, envelope, "txn-status")) is not None:
        return ack_answer("", ("err.request.bad", reason))
    return ack_answer(str(uuid.uuid4()))


@router.get("/.well-known/jwks.json", summary="The register's signature keys (JWKS)")
def jwks(services: ServicesDep) -> dict[str, list[dict[str, str]]]:
    """Return the public key the register signs its SPDCI answers with (RFC 7517, RFC 8037)."""
    assert services.registry_key is not None  # loaded when the app starts
    return {"keys": [jwk_of(services.registry_key.public_key(), REGISTRY_KEY_ID)]}
