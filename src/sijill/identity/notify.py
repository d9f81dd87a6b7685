"""SPDCI notifications: the register's births and deaths, sent to subscribers' `/registry/notify`.

An agency subscribes (`/registry/subscribe`) to births or deaths with its `sender_uri`; the
register then POSTs signed `notify` envelopes there, one notify event per life event, each
carrying the person's record with the fields the agency's policy allows and nothing more. A
resident who locked `registry.search` (or everything) is left out, as from searches. The
subscriber answers `ACK`; anything else leaves the events to be sent again.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill import outbox
from sijill.identity.audit import ACTOR_AGENCY, AuditRecord, append_entries
from sijill.identity.envelope import sign_envelope
from sijill.identity.models import ACTIVE, Agency, AgencyPolicy, RegistrySubscription
from sijill.identity.persons import Executor, ekyc_view, subject_by_uin
from sijill.identity.registry import OPERATION as SEARCH_OPERATION
from sijill.identity.registry import dci_record, feed_name

VERSION = "1.0.0"
NOTIFY_ACTION = "notify"
NOTIFY_PATH = "/registry/notify"
REGISTRY_KEY_ID = "registry-1"
SENT_OPERATION = "registry.notify.sent"  # the audit's name of a notification the register sent
BATCH = 100  # events per notify envelope
REG_TYPE = "ns:sijill:RegistryType:Population"
# The SPDCI event type of each life event of the register.
DCI_EVENT_TYPES = {
    "birth": "spdci-common:RegistryEventType:LiveBirth",
    "death": "spdci-common:RegistryEventType:Death",
}


@dataclass(frozen=True)
class LifeEvent:
    """A life event of the register as a notification carries it: its place in the feed, kind, UIN."""

    seq: int
    at: datetime
    kind: str
    uin: str


@dataclass
class Notification:
    """The notify message of some events for one agency, and the persons (UIN, fields) it discloses."""

    message: dict[str, Any]
    disclosed: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Return the number of notify events in the message."""
        return len(self.message["notify_event"])


def _timestamp(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def notification(*, session: Executor, fields: frozenset[str], events: Sequence[LifeEvent]) -> Notification:
    """Return the notify message of these events with the fields an agency's policy allows."""
    result = Notification(message={"transaction_id": str(uuid.uuid4()), "notify_event": []})
    for event in events:
        subject = subject_by_uin(session=session, uin=event.uin, operation=SEARCH_OPERATION)
        if subject is None or subject.locked or event.kind not in DCI_EVENT_TYPES:
            continue
        view = ekyc_view(subject, fields)
        data = {
            "version": VERSION,
            "reg_type": REG_TYPE,
            "reg_event_type": DCI_EVENT_TYPES[event.kind],
            "reg_record_type": "person",
            "reg_records": [dci_record(view)],
        }
        item = {"reference_id": str(event.seq), "timestamp": _timestamp(event.at), "data": data}
        result.message["notify_event"].append(item | {"locale": "eng"})
        result.disclosed.append((subject.uin, tuple(sorted(k for k in view if k != "deceased"))))
    return result


def notify_envelope(
    *, key: Ed25519PrivateKey, registry_id: str, receiver_id: str, message: dict[str, Any]
) -> dict[str, Any]:
    """Return the register's signed `notify` envelope of a message."""
    header = {
        "version": VERSION,
        "message_id": str(uuid.uuid4()),
        "message_ts": _timestamp(datetime.now(UTC)),
        "action": NOTIFY_ACTION,
        "sender_id": registry_id,
        "receiver_id": receiver_id,
        "total_count": len(message["notify_event"]),
        "is_msg_encrypted": False,
        "meta": {},
    }
    signature = sign_envelope(key, header, message, sender_id=registry_id, key_id=REGISTRY_KEY_ID)
    return {"signature": signature, "header": header, "message": message}


def deliver(*, client: httpx.Client, sender_uri: str, envelope: dict[str, Any]) -> bool:
    """POST an envelope to a subscriber's `/registry/notify`; True when it answers ACK."""
    url = sender_uri.rstrip("/") + NOTIFY_PATH
    try:
        answer = client.post(url, json=envelope)
        acknowledged = answer.status_code == 200 and answer.json()["message"]["ack_status"] == "ACK"
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return False
    return bool(acknowledged)


def live_subscriptions(*, session: Session) -> list[int]:
    """Return the ids of the subscriptions to notify: live, with an address, of an active agency."""
    stmt = (
        select(RegistrySubscription.id)
        .join(Agency, Agency.id == RegistrySubscription.agency_id)
        .where(
            RegistrySubscription.status == "subscribe",
            RegistrySubscription.sender_uri.is_not(None),
            RegistrySubscription.sender_uri != "",
            Agency.status == ACTIVE,
        )
    )
    return list(session.scalars(stmt.order_by(RegistrySubscription.id)))


def _subscriber_policy(session: Session, agency_id: int) -> AgencyPolicy | None:
    """Return the agency's policy that allows subscriptions (the fields a notification carries)."""
    policies = session.scalars(select(AgencyPolicy).where(AgencyPolicy.agency_id == agency_id))
    return next((p for p in policies if "registry.subscribe" in p.operations), None)


def notify_subscription(
    *, session: Session, subscription_id: int, client: httpx.Client, key: Ed25519PrivateKey, registry_id: str
) -> int | None:
    """Send one subscription the events published since its last acknowledged one.

    Returns how many notify events were delivered, or None when the subscriber did not
    acknowledge (the events stay to be sent again). Each person sent is audited.
    """
    sub = session.get(RegistrySubscription, subscription_id)
    agency = session.get(Agency, sub.agency_id) if sub is not None else None
    policy = _subscriber_policy(session, agency.id) if agency is not None else None
    if sub is None or agency is None or policy is None or not sub.sender_uri:
        return 0
    events = outbox.consume(session, subscriber=feed_name(sub.code), limit=BATCH, kinds=[sub.event_type])
    if not events:
        return 0
    life = [LifeEvent(e.id, e.at, e.kind, e.uin) for e in events if e.uin is not None]
    note = notification(session=session, fields=frozenset(policy.fields), events=life)
    if note.count:
        envelope = notify_envelope(
            key=key,
            registry_id=registry_id,
            receiver_id=agency.sender_id or agency.name,
            message=note.message,
        )
        if not deliver(client=client, sender_uri=sub.sender_uri, envelope=envelope):
            return None
    outbox.ack(session, subscriber=feed_name(sub.code), up_to=events[-1].id)
    append_entries(session=session, records=[_sent(agency, policy, uin, f) for uin, f in note.disclosed])
    return note.count


def _sent(agency: Agency, policy: AgencyPolicy, uin: str, fields: tuple[str, ...]) -> AuditRecord:
    return AuditRecord(
        operation=SENT_OPERATION,
        outcome="ok",
        status_code=200,
        actor=ACTOR_AGENCY,
        agency_id=agency.id,
        agency=agency.name,
        purpose=policy.purpose,
        uin=uin,
        via="event",
        fields=fields,
    )
