"""Every call to the services is audited before its answer leaves.

The middleware opens a draft for each request under an audited prefix; the route's
dependencies and the endpoint fill it (operation, agency, purpose, UIN, fields returned,
outcome); when the answer starts, the draft goes to the group-commit writer and the answer
waits until it is committed. When the audit cannot be written, the caller gets a 503
instead of the answer: nothing is disclosed without its entry.
"""

import logging
from dataclasses import dataclass, field, replace

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sijill.api.runtime import Services
from sijill.identity import ACTOR_AGENCY, ACTOR_NONE, AgencyGrant, AuditRecord, AuditUnavailable

logger = logging.getLogger(__name__)

AUDITED_PREFIXES = ("/v1/", "/registry/", "/oauth2/", "/social/")
_OUTCOMES = {401: "unauthenticated", 403: "denied", 404: "not_found", 409: "conflict", 413: "too_large"}
_OUTCOMES |= {405: "invalid", 415: "invalid", 422: "invalid", 429: "rate_limited"}
_UNAVAILABLE = b'{"detail":"the audit log cannot be written: the call was not served"}'


@dataclass
class AuditDraft:
    """The audit entry of the request being served, filled as the request goes."""

    operation: str
    actor: str = ACTOR_NONE
    agency_id: int | None = None
    agency: str | None = None
    purpose: str | None = None
    uin: str | None = None
    via: str | None = None
    fields: tuple[str, ...] = ()
    outcome: str | None = None
    # (UIN, via, fields) of each person disclosed, when a call discloses several (a search)
    touched: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)

    def by_agency(self, grant: AgencyGrant) -> None:
        """Name the agency and purpose of the call."""
        self.actor, self.agency_id, self.agency, self.purpose = (
            ACTOR_AGENCY,
            grant.agency_id,
            grant.agency,
            grant.purpose,
        )

    def records(self, status: int) -> list[AuditRecord]:
        """Return the entries to write for an answer with this status: one per person disclosed."""
        first = self.record(status)
        if status >= 400 or not self.touched:
            return [first]
        return [replace(first, uin=uin, via=via, fields=fields) for uin, via, fields in self.touched]

    def record(self, status: int) -> AuditRecord:
        """Return the entry to write for an answer with this status."""
        return AuditRecord(
            operation=self.operation,
            outcome=self.outcome if self.outcome and status < 400 else _outcome_of(status),
            status_code=status,
            actor=self.actor,
            agency_id=self.agency_id,
            agency=self.agency,
            purpose=self.purpose,
            uin=self.uin,
            via=self.via,
            fields=self.fields if status < 400 else (),
        )


def _outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    return _OUTCOMES.get(status, "error" if status >= 500 else "invalid")


async def draft_of(request: Request) -> AuditDraft:
    """Return the audit draft of this request (a throwaway one outside the audited prefixes)."""
    draft = request.scope.get("sijill.audit")
    if isinstance(draft, AuditDraft):
        return draft
    return AuditDraft(operation="unaudited")


def _operation_of(path: str) -> str:
    """Name a call no route claimed (an unknown path) after its path's first segments."""
    return "unrouted:" + "/".join(path.strip("/").split("/")[:2])[:22]


class AuditMiddleware:
    """Write each audited call's entry, durably, before its answer starts."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(AUDITED_PREFIXES):
            await self.app(scope, receive, send)
            return
        draft = AuditDraft(operation=_operation_of(path))
        scope["sijill.audit"] = draft
        refused = False

        async def send_after_audit(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start":
                try:
                    await self.services.audit.write_many(draft.records(message["status"]))
                except AuditUnavailable:
                    refused = True
                    await _send_unavailable(send)
                    return
            if not refused:
                await send(message)

        await self.app(scope, receive, send_after_audit)


async def _send_unavailable(send: Send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(_UNAVAILABLE)).encode())]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": _UNAVAILABLE})
