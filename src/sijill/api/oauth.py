"""OAuth2 client credentials (RFC 6749 section 4.4) at the SPDCI path `/oauth2/client/token`.

The client id is the key id of an agency credential and the client secret its secret; the
access token lives a few minutes and stands for that credential (its policy, its purpose).
"""

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Form, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sijill.api.deps import AuditDep, ServicesDep, SessionDep
from sijill.identity import ACCESS_TOKEN, authenticate_credential, client_credential, sign_token

router = APIRouter(tags=["oauth2"])


class TokenGrantRead(BaseModel):
    """An OAuth2 access token (RFC 6749 section 5.1)."""

    access_token: str
    token_type: str
    expires_in: int


def _oauth_error(status: int, error: str) -> JSONResponse:
    """Answer as RFC 6749 section 5.2 says."""
    headers = {"WWW-Authenticate": "Basic"} if status == 401 else None
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        user, sep, password = base64.b64decode(authorization[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


@router.post(
    "/oauth2/client/token",
    summary="An access token for an agency (client credentials)",
    response_model=TokenGrantRead,
    responses={400: {"description": "Malformed request"}, 401: {"description": "Unknown client"}},
)
def client_token(
    services: ServicesDep,
    session: SessionDep,
    audit: AuditDep,
    grant_type: Annotated[str, Form(max_length=32)],
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=128)] = None,
    scope: Annotated[str | None, Form(max_length=512)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenGrantRead | JSONResponse:
    """Exchange a client id and secret (in the form or HTTP Basic) for a short-lived token."""
    audit.operation = "oauth.token"
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type")
    pair = (client_id, client_secret) if client_id and client_secret else _basic(authorization)
    if pair is None:
        return _oauth_error(401, "invalid_client")
    grant = authenticate_credential(
        session=session, credential=client_credential(client_id=pair[0], client_secret=pair[1])
    )
    if grant is None:
        return _oauth_error(401, "invalid_client")
    audit.by_agency(grant)
    ttl = services.settings.access_token_seconds
    token = sign_token(
        key=services.access_key, kind=ACCESS_TOKEN, claims={"c": grant.credential_id}, ttl_seconds=ttl
    )
    return TokenGrantRead(access_token=token, token_type="bearer", expires_in=ttl)
