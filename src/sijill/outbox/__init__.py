"""The outbox: events of the register (births, deaths, merges...) that subscribers read in order.

Writers publish in the transaction of their change; subscribers `consume` after their cursor
and `ack` what they handled. See `sijill.outbox.service` for the ordering guarantee.
"""

from sijill.outbox.models import (
    EVENT_ADDRESS,
    EVENT_BIRTH,
    EVENT_CORRECTION,
    EVENT_DEATH,
    EVENT_KINDS,
    EVENT_LINK,
    EVENT_MERGE,
    EVENT_NEW_PERSON,
    EVENT_RESIDENT_CODE,
    EVENT_SPLIT,
    EVENT_UNDO,
    PRIVATE_KINDS,
    OutboxEvent,
    OutboxSubscriber,
)
from sijill.outbox.service import (
    ack,
    consume,
    last_event_id,
    publish,
    publish_many,
    read_events,
    subscribe,
    subscriber_position,
)

__all__ = [
    "EVENT_ADDRESS",
    "EVENT_BIRTH",
    "EVENT_CORRECTION",
    "EVENT_DEATH",
    "EVENT_KINDS",
    "EVENT_LINK",
    "EVENT_MERGE",
    "EVENT_NEW_PERSON",
    "EVENT_RESIDENT_CODE",
    "EVENT_SPLIT",
    "EVENT_UNDO",
    "PRIVATE_KINDS",
    "OutboxEvent",
    "OutboxSubscriber",
    "ack",
    "consume",
    "last_event_id",
    "publish",
    "publish_many",
    "read_events",
    "subscribe",
    "subscriber_position",
]
