"""`GET /v1/events`: the register's notification feed (births, deaths, merges ...), in order.

An agency reads after the last id it handled, and names persons as its policy says: by UIN
(field `uin`), or else by its sector token, in which case the event's payload, which may name
other UINs (those a merge absorbed), is left out. Each person named is in their access list.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from sijill.api.deps import AgencyCall, SessionDep, require
from sijill.api.identity import sector_key
from sijill.api.schemas import ERRORS
from sijill.identity import sector_token_with
from sijill.outbox import PRIVATE_KINDS, read_events

router = APIRouter(prefix="/v1", tags=["events"], responses=ERRORS)
MAX_EVENTS = 1000


class EventRead(BaseModel):
    """One event of the feed: its id (the place in the order), time, kind and the person."""

    id: int
    at: datetime
    kind: str
    uin: str | None = None
    token: str | None = None
    payload: dict[str, Any] | None = None


class EventsRead(BaseModel):
    """A page of the feed, and the id to read after next (the last one given, or `after`)."""

    events: list[EventRead]
    next_after: int


@router.get("/events", summary="The notification feed, in order", response_model_exclude_none=True)
def events(
    call: Annotated[AgencyCall, Depends(require("events.read"))],
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="The last event id already read")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS, description="At most this many events")] = 100,
) -> EventsRead:
    """Return the events published after `after`, oldest first."""
    grant = call.grant
    by_uin = "uin" in grant.fields
    key = None if by_uin or grant.sector is None else sector_key(call.services, session, grant.sector)
    page = []
    for event in read_events(session, after=after, limit=limit, exclude=PRIVATE_KINDS):
        read = EventRead(id=event.id, at=event.at, kind=event.kind)
        if by_uin:
            read.uin, read.payload = event.uin, event.payload
            if event.uin is not None:
                call.audit.touched.append((event.uin, "event", ("uin",)))
        elif event.uin is not None and key is not None:
            read.token = sector_token_with(key, event.uin)
            call.audit.touched.append((event.uin, "event", ("token",)))
        page.append(read)
    return EventsRead(events=page, next_after=page[-1].id if page else after)
