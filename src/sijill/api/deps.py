"""Dependency aliases of the routers: the services, a session, the calling agency or resident.

Agency authentication (a Bearer credential or OAuth2 access token, checked against the
agency's policy) is separate from residents' sessions (a Bearer token after a one-time
code) and from the web desk's user sessions, which this module does not touch.
"""

import hashlib
from collections.abc import Callable, Iterator
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


def get_services(request: Request) -> Services:
    """Return the services of this process."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """Yield a session committed when the endpoint returns, rolled back when it raises."""
    with services.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
AuditDep = Annotated[AuditDraft, Depends(draft_of)]
AgencyAuth = Annotated[HTTPAuthorizationCredentials | None, Depends(agency_bearer)]
ResidentAuth = Annotated[HTTPAuthorizationCredentials | None, Depends(resident_bearer)]


def _grant_of(services: Services, session: Session, token: str) -> AgencyGrant | None:
    """Return the grant behind a credential or access token, cached a few seconds."""
    key = hashlib.sha256(token.encode()).hexdigest()
    grant = services.grants.get(key)
    if grant is not None:
        return grant
    if token.startswith(ACCESS_TOKEN + "."):
        claims = read_token(key=services.access_key, kind=ACCESS_TOKEN, token=token)
        credential_id = claims.get("c") if claims else None
        if not isinstance(credential_id, int):
            return None
        grant = grant_of_credential(session=session, credential_id=credential_id)
    else:
        grant = authenticate_credential(session=session, credential=token)
    if grant is not None:
        services.grants.put(key, grant)
    return grant


def require(operation: str) -> Callable[..., AgencyGrant]:
    """Return a dependency admitting agencies whose policy names this operation (401, 429, 403)."""

    def admit(services: ServicesDep, session: SessionDep, audit: AuditDep, auth: AgencyAuth) -> AgencyGrant:
        audit.operation = operation
        grant = _grant_of(services, session, auth.credentials) if auth is not None else None
        if grant is None:
            raise Unauthenticated("no valid credential")
        audit.by_agency(grant)
        if not services.limiter.allow(grant.agency_id, grant.rate_per_second):
            raise RateLimited(f"more than {grant.rate_per_second} calls per second: slow down")
        if not grant.allows(operation):
            raise OutsidePolicy(operation)
        return grant

    admit.__name__ = f"require_{operation.replace('.', '_')}"
    return admit


def resident(operation: str) -> Callable[..., str]:
    """Return a dependency admitting a resident's session; it yields the resident's UIN (401)."""

    def admit(services: ServicesDep, audit: AuditDep, auth: ResidentAuth) -> str:
        audit.operation, audit.actor = operation, ACTOR_RESIDENT
        claims = read_token(key=services.resident_key, kind=RESIDENT_TOKEN, token=auth.credentials) if auth else None
        uin = claims.get("u") if claims else None
        if not isinstance(uin, str):
            raise Unauthenticated("no valid resident session")
        audit.uin = uin
        return uin

    admit.__name__ = f"resident_{operation.replace('.', '_')}"
    return admit
