"""What every view shares: the signed-in viewer, permissions, CSRF-checked forms, rendering."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from sijill.web.app import desk_of
from sijill.web.i18n import Translator
from sijill.web.models import DeskUser
from sijill.web.roles import role_book
from sijill.web.security import Forbidden, NotSignedIn, same_origin
from sijill.web.sessions import (
    close_session,
    csrf_matches,
    find_session,
    session_expired,
    touch_due,
    touch_session,
)

COOKIE = "sijill_desk"
LOGIN_COOKIE = "sijill_desk_login"
# The menu: the permission each entry needs, its path and its message key.
NAV = (
    ("review", "/review", "nav.review"),
    ("persons", "/persons", "nav.persons"),
    ("coverage", "/dashboards/coverage", "nav.coverage"),
    ("quality", "/dashboards/quality", "nav.quality"),
)


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a request."""

    user_id: int
    name: str
    role: str
    language: str
    csrf: str

    def can(self, permission: str) -> bool:
        return role_book().allows(self.role, permission)


def base_path(request: Request) -> str:
    """Return the path the desk is mounted at."""
    return str(request.scope.get("root_path", ""))


def _viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    desk = desk_of(request)
    with desk.reading() as session:
        row = find_session(session=session, token=token)
        if row is None:
            return None
        user = session.get(DeskUser, row.user_id)
        expired, touch = session_expired(row), touch_due(row)
        viewer = (
            Viewer(user.id, user.name, user.role, user.language, row.csrf)
            if user is not None and user.active
            else None
        )
    if expired or viewer is None:
        with desk.writing() as session:
            close_session(session=session, token=token)
        return None
    if touch:
        with desk.writing() as session:
            touch_session(session=session, token=token)
    return viewer


def signed_in(request: Request) -> Viewer:
    """Return the signed-in viewer, or send the browser to the sign-in page."""
    viewer = _viewer(request)
    if viewer is None:
        raise NotSignedIn
    request.state.viewer = viewer
    return viewer


ViewerDep = Annotated[Viewer, Depends(signed_in)]


def require(permission: str) -> Callable[[Viewer], Viewer]:
    """Return a dependency admitting only viewers whose role holds this permission."""

    def admitted(viewer: ViewerDep) -> Viewer:
        if not viewer.can(permission):
            raise Forbidden(permission)
        return viewer

    return admitted


async def posted_form(request: Request, viewer: ViewerDep) -> FormData:
    """Return a posted form after checking its origin and the session's CSRF token."""
    form = await request.form()
    offered = form.get("csrf") or request.headers.get("x-csrf-token")
    if not same_origin(request) or not csrf_matches(viewer.csrf, offered):
        raise Forbidden("csrf")
    return form


FormDep = Annotated[FormData, Depends(posted_form)]


def translator(viewer: Viewer | None) -> Translator:
    """Return the translator of a viewer's language (French when nobody is signed in)."""
    return Translator(viewer.language if viewer else "fr")


def render(
    request: Request, viewer: Viewer | None, template: str, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page of the desk in the viewer's language."""
    desk = desk_of(request)
    base = base_path(request)
    t = translator(viewer)
    nav = [(f"{base}{path}", t(key)) for perm, path, key in NAV if viewer and viewer.can(perm)]
    response: HTMLResponse = desk.templates.TemplateResponse(
        request,
        template,
        {"viewer": viewer, "t": t, "base": base, "nav": nav, "path": request.url.path, **context},
        status_code=status,
    )
    return response


def render_error(request: Request, *, status: int, key: str, detail: str = "") -> HTMLResponse:
    """Render an error page; the detail is sijill's own message (it never holds personal data)."""
    viewer = getattr(request.state, "viewer", None)
    return render(request, viewer, "error.html", status=status, key=key, detail=detail)
