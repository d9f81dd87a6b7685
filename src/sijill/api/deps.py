"""Dependency aliases of the routers: the services, a session, the calling agency or resident.

Agency authentication (a Bearer credential or OAuth2 access token, checked against the
agency's policy) is separate from residents' sessions (a Bearer token after a one-time
code) and from the web desk's user sessions, which this module does not touch.
"""

import hashlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sijill.api.audit import AuditDraft, draft_of
from sijill.api.runtime import Services
from sijill.identity import (
    ACCESS_TOKEN,
    ACTOR_RESIDENT,
    RESIDENT_TOKEN,
    AgencyGrant,
    OutsidePolicy,
    RateLimited,
    Unauthenticated,
    authenticate_credential,
    grant_of_credential,
    read_token,
)

agency_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="agency",
    description="An agency credential (sjl_...) or an OAuth2 access token from /oauth2/client/token",
)
resident_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="resident",
    description="A resident session token from POST /v1/me/sessions",
)


async def get_services(request: Request) -> Services:
    """Return the services of this process."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """Yield a session committed when the endpoint returns, rolled back when it raises."""
    with services.session() as session:
        yield session


# Closed when the endpoint returns, before the answer is sent: the work is committed first,
# and no connection is held while the answer waits for its audit entry.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
AuditDep = Annotated[AuditDraft, Depends(draft_of)]
AgencyAuth = Annotated[HTTPAuthorizationCredentials | None, Depends(agency_bearer)]
ResidentAuth = Annotated[HTTPAuthorizationCredentials | None, Depends(resident_bearer)]


async def _grant_of(services: Services, token: str) -> AgencyGrant | None:
    """Return the grant behind a credential or access token, cached a few seconds."""
    if token.startswith(ACCESS_TOKEN + "."):
        claims = read_token(key=services.access_key, kind=ACCESS_TOKEN, token=token)
        credential_id = claims.get("c") if claims else None
        if not isinstance(credential_id, int):
            return None
        key = f"credential:{credential_id}"

        def lookup() -> AgencyGrant | None:
            with services.session() as session:
                return grant_of_credential(session=session, credential_id=credential_id)
    else:
        key = hashlib.sha256(token.encode()).hexdigest()

        def lookup() -> AgencyGrant | None:
            with services.session() as session:
                return authenticate_credential(session=session, credential=token)

    grant = services.grants.get(key)
    if grant is None:
        grant = await services.run(lookup)
        if grant is not None:
            services.grants.put(key, grant)
    return grant


@dataclass(frozen=True)
class AgencyCall:
    """An admitted agency call: who (the grant), the services, and the call's audit draft."""

    grant: AgencyGrant
    services: Services
    audit: AuditDraft


def require(operation: str, *, any_of: tuple[str, ...] = ()) -> Callable[..., Awaitable[AgencyCall]]:
    """Return a dependency admitting agencies whose policy names this operation (401, 429, 403).

    With `any_of`, the call (audited as `operation`) is admitted for any of those operations.
    One dependency holds the whole admission, as the hot path pays for each one solved.
    """
    allowed = any_of or (operation,)

    async def admit(request: Request, auth: AgencyAuth) -> AgencyCall:
        services: Services = request.app.state.services
        audit = await draft_of(request)
        audit.operation = operation
        grant = await _grant_of(services, auth.credentials) if auth is not None else None
        if grant is None:
            raise Unauthenticated("no valid credential")
        audit.by_agency(grant)
        if not services.limiter.allow(grant.agency_id, grant.rate_per_second):
            raise RateLimited(f"more than {grant.rate_per_second} calls per second: slow down")
        if not any(grant.allows(o) for o in allowed):
            raise OutsidePolicy(operation)
        return AgencyCall(grant, services, audit)

    admit.__name__ = f"require_{operation.replace('.', '_')}"
    return admit


def resident(operation: str) -> Callable[..., Awaitable[str]]:
    """Return a dependency admitting a resident's session; it yields the resident's UIN (401)."""

    async def admit(services: ServicesDep, audit: AuditDep, auth: ResidentAuth) -> str:
        audit.operation, audit.actor = operation, ACTOR_RESIDENT
        claims = (
            read_token(key=services.resident_key, kind=RESIDENT_TOKEN, token=auth.credentials)
            if auth
            else None
        )
        uin = claims.get("u") if claims else None
        if not isinstance(uin, str):
            raise Unauthenticated("no valid resident session")
        audit.uin = uin
        return uin

    admit.__name__ = f"resident_{operation.replace('.', '_')}"
    return admit
