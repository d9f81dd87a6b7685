"""Errors mapped to HTTP answers, in one place.

Bodies never echo what was sent (a name or a date of birth would land in a client's logs)
and say only what the caller may know: a 403 is decided from the policy alone, before any
lookup, and a 404 reads the same whether the person is unknown, locked or the VID revoked.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from sijill.errors import DatabaseNotReady, NotFound, SijillError, UsageError
from sijill.identity import (
    AuditUnavailable,
    Conflict,
    InvalidRequest,
    OutsidePolicy,
    RateLimited,
    Unauthenticated,
    UnknownSubject,
)
from sijill.social.errors import HouseholdNotFound, InvalidConfiguration, InvalidHousehold, RuleRefused

logger = logging.getLogger(__name__)

UNAUTHENTICATED = "a valid credential is required: Authorization: Bearer <credential or access token>"
OUTSIDE_POLICY = "outside this agency's policy"
NOT_FOUND = "no such person for this caller"

# Each class once, most specific first; the message of 401, 403 and 404 is fixed.
_STATUS: list[tuple[type[SijillError], int, str | None]] = [
    (Unauthenticated, 401, UNAUTHENTICATED),
    (OutsidePolicy, 403, OUTSIDE_POLICY),
    (UnknownSubject, 404, NOT_FOUND),
    (HouseholdNotFound, 404, None),
    (NotFound, 404, NOT_FOUND),
    (Conflict, 409, None),
    (RuleRefused, 409, None),
    (InvalidRequest, 422, None),
    (InvalidHousehold, 422, None),
    (InvalidConfiguration, 422, None),
    (UsageError, 422, None),
    (RateLimited, 429, None),
    (AuditUnavailable, 503, None),
    (DatabaseNotReady, 503, None),
]


def status_of(exc: SijillError, extra: dict[type[SijillError], int] | None = None) -> tuple[int, str]:
    """Return the HTTP status and the message of one of sijill's errors (other domains' first)."""
    for cls, code in (extra or {}).items():
        if isinstance(exc, cls):
            return code, str(exc)
    for cls, status, message in _STATUS:
        if isinstance(exc, cls):
            return status, message or str(exc)
    return 400, str(exc)


def _headers(status: int) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if status == 429:
        return {"Retry-After": "1"}
    return None


# The SPDCI interface answers its errors as its specification says: {"errors": [{code, message}]}.
SPDCI_PREFIXES = ("/registry/", "/.well-known/")
SPDCI_CODES = {
    401: "err.request.unauthorized",
    403: "err.request.forbidden",
    404: "err.request.not_found",
    405: "err.request.bad",
    409: "err.request.bad",
    413: "err.request.bad",
    422: "err.request.bad",
    429: "err.request.too_many_requests",
    503: "err.service.unavailable",
}


def _answer(request: Request, status: int, detail: Any, code: str | None = None) -> JSONResponse:
    """Answer an error in the caller's convention: `detail` on /v1, `errors` on the SPDCI paths."""
    if request.url.path.startswith(SPDCI_PREFIXES):
        message = (
            detail
            if isinstance(detail, str)
            else "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in detail)
        )
        body: dict[str, Any] = {
            "errors": [{"code": code or SPDCI_CODES.get(status, "err.request.bad"), "message": message}]
        }
    else:
        body = {"detail": detail}
    return JSONResponse(body, status_code=status, headers=_headers(status))


async def _sijill_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SijillError)
    status, message = status_of(exc, getattr(request.app.state, "error_statuses", None))
    if status >= 500:
        logger.error("service unavailable: %s", type(exc).__name__)
    code = getattr(exc, "code", None)
    if code is not None:  # a refused SPDCI signature says which check failed
        message = str(exc)
    return _answer(request, status, message, code if isinstance(code, str) else None)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Return where and why each value is wrong, without the value itself."""
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid"), "type": e.get("type", "value_error")}
        for e in exc.errors()
    ]


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _answer(request, 422, _validation_errors(exc))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    answer = _answer(request, exc.status_code, exc.detail)
    for name, value in (exc.headers or {}).items():
        answer.headers[name] = value
    return answer


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    """A value that passed validation but that the database cannot compare or hold."""
    logger.warning("value refused by the database: %s", type(getattr(exc, "orig", exc)).__name__)
    return _answer(
        request, 422, "a value cannot be read by the register (a character or a size it cannot hold)"
    )


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    logger.error("internal error: %s", type(exc).__name__)
    return JSONResponse({"detail": "internal error"}, status_code=500)


def install_error_handlers(app: FastAPI, extra: dict[type[SijillError], int] | None = None) -> None:
    """Map sijill's errors (and other domains', `extra`), validation and HTTP errors to answers."""
    app.state.error_statuses = extra or {}
    app.add_exception_handler(SijillError, _sijill_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(Exception, _unexpected)
