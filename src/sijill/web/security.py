"""The desk's defences: security headers, CSRF and origin checks, and its error pages.

Every page is served with a strict content security policy (scripts, styles and images
only from the desk itself: no inline script, no CDN), no framing, no sniffing and no
referrer leaving the site. Every form carries the session's CSRF token and every state
change checks it, and a request whose Origin is another site is refused.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sijill.errors import NotFound, RegisterBusy, ReviewConflict, SijillError

logger = logging.getLogger(__name__)
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
    base = request.scope.get("root_path", "")
    target = f"{base}/login"
    if request.method == "GET" and not request.headers.get("hx-request"):
        path = request.url.path
        target += f"?next={path}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def install_error_pages(app: FastAPI) -> None:
    """Turn the desk's refusals and sijill's errors into pages (never a stack trace)."""

    async def signed_out(request: Request, _exc: Exception) -> Response:
        return _login_redirect(request)

    async def forbidden(request: Request, exc: Exception) -> Response:
        return _page(request, 403, "error.forbidden", getattr(exc, "reason", ""))

    async def sijill_error(request: Request, exc: Exception) -> Response:
        status = 400
        if isinstance(exc, NotFound):
            status = 404
        elif isinstance(exc, ReviewConflict):
            status = 409
        elif isinstance(exc, RegisterBusy):
            status = 503
        key = {404: "error.not_found", 409: "error.conflict", 503: "error.busy"}.get(status, "error.bad")
        return _page(request, status, key, str(exc))

    async def http_error(request: Request, exc: Any) -> Response:
        status = int(getattr(exc, "status_code", 500))
        if status == 404:
            return _page(request, 404, "error.not_found")
        if status == 405:
            return _page(request, 405, "error.bad")
        return HTMLResponse(str(getattr(exc, "detail", "")), status_code=status)

    app.add_exception_handler(NotSignedIn, signed_out)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(SijillError, sijill_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


def unexpected_error_page(request: Request, exc: Exception) -> Response:
    """Answer an unexpected failure with a page, and log only its type above DEBUG.

    The traceback may hold personal values (the parameters of a SQL statement), so it goes
    to the DEBUG log only.
    """
    route = getattr(request.scope.get("route"), "name", "?")
    logger.error("desk: unexpected %s in %s", type(exc).__name__, route)
    logger.debug("desk: unexpected error", exc_info=exc)
    return _page(request, 500, "error.internal")
