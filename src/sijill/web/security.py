"""The desk's defences: security headers, CSRF and origin checks, and its error pages.

Every page is served with a strict content security policy (scripts, styles and images
only from the desk itself: no inline script, no CDN), no framing, no sniffing and no
referrer leaving the site. Every form carries the session's CSRF token and every state
change checks it, and a request whose Origin is another site is refused.

The desk's routes are `DeskRoute`s: each answers its own refusals and failures with a page
and adds the headers itself, so that the desk behaves the same alone or inside the
service's application, whose error handlers speak JSON to agencies.
"""

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from sijill.errors import NotFound, RegisterBusy, ReviewConflict, SijillError

logger = logging.getLogger(__name__)
DESK_PATH = "/desk"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class NotSignedIn(Exception):
    """A request without a live desk session."""


class Forbidden(Exception):
    """A signed-in user whose role does not allow this page or action."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def desk_base(request: Request) -> str:
    """Return the path the desk lives at (behind whatever root path the server has)."""
    return f"{request.scope.get('root_path', '')}{DESK_PATH}"


def same_origin(request: Request) -> bool:
    """Return True unless the request says it comes from another site."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return origin != "null" and origin.split("://", 1)[-1] == request.headers.get("host", "")


def _page(request: Request, status: int, key: str, detail: str = "") -> Response:
    from sijill.web.views.common import render_error

    return render_error(request, status=status, key=key, detail=detail)


def _login_redirect(request: Request) -> Response:
    target = f"{desk_base(request)}/login"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    if request.method == "GET":
        target += f"?next={request.url.path}"
    return RedirectResponse(target, status_code=303)


def _sijill_error_page(request: Request, exc: SijillError) -> Response:
    status = 400
    if isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, ReviewConflict):
        status = 409
    elif isinstance(exc, RegisterBusy):
        status = 503
    key = {404: "error.not_found", 409: "error.conflict", 503: "error.busy"}.get(status, "error.bad")
    return _page(request, status, key, str(exc))


def error_page(request: Request, exc: Exception) -> Response:
    """Answer a refusal or a failure with a page (never a trace, never personal values)."""
    if isinstance(exc, NotSignedIn):
        return _login_redirect(request)
    if isinstance(exc, Forbidden):
        return _page(request, 403, "error.forbidden", exc.reason)
    if isinstance(exc, SijillError):
        return _sijill_error_page(request, exc)
    if isinstance(exc, RequestValidationError):
        return _page(request, 404 if request.method == "GET" else 400, "error.not_found")
    if isinstance(exc, StarletteHTTPException):
        return _page(request, exc.status_code, "error.not_found" if exc.status_code == 404 else "error.bad")
    # The traceback may hold personal values (the parameters of a SQL statement): its type
    # only above DEBUG.
    route = getattr(request.scope.get("route"), "name", "?")
    logger.error("desk: unexpected %s in %s", type(exc).__name__, route)
    logger.debug("desk: unexpected error", exc_info=exc)
    return _page(request, 500, "error.internal")


def with_headers(response: Response) -> Response:
    """Add the security headers, and forbid caching anything but the static files."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


class DeskRoute(APIRoute):
    """A route of the desk: its failures become pages, its responses carry the headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def desk_handler(request: Request) -> Response:
            try:
                response = await handle(request)
            except Exception as exc:  # every failure of a page is answered with a page
                response = error_page(request, exc)
            return with_headers(response)

        return desk_handler
