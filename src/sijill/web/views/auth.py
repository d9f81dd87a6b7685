"""Sign in, sign out, the language of the desk, and the landing page of each role."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sijill.web.app import desk_of
from sijill.web.models import DeskUser
from sijill.web.security import Forbidden, same_origin
from sijill.web.sessions import close_session, csrf_matches, open_session
from sijill.web.settings import desk_settings
from sijill.web.users import LANGUAGES, authenticate, set_language
from sijill.web.views.common import (
    COOKIE,
    LOGIN_COOKIE,
    NAV,
    FormDep,
    Viewer,
    ViewerDep,
    base_path,
    render,
    signed_in,
)

router = APIRouter()


def _secure(request: Request) -> bool:
    return desk_settings().secure_cookies or request.url.scheme == "https"


def _safe_next(request: Request, target: str | None) -> str:
    """Return where to go after signing in: a path of the desk, never another site."""
    base = base_path(request)
    if target and target.startswith(f"{base}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{base}/"


def _login_page(request: Request, *, next_path: str, failed: bool, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, None, "login.html", status=status, csrf=token, next=next_path, failed=failed)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=base_path(request) or "/",
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    """Show the sign-in form."""
    return _login_page(request, next_path=_safe_next(request, next), failed=False)


@router.post("/login")
async def login(request: Request) -> Response:
    """Sign a user in: check the form's token, the password, then open a session."""
    form = await request.form()
    if not same_origin(request) or not csrf_matches(request.cookies.get(LOGIN_COOKIE, ""), form.get("csrf")):
        raise Forbidden("csrf")
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    next_path = _safe_next(request, str(form.get("next", "")))
    from starlette.concurrency import run_in_threadpool

    token = await run_in_threadpool(_sign_in, request, name, password)
    if token is None:
        return _login_page(request, next_path=next_path, failed=True, status=401)
    response = RedirectResponse(next_path, status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path=base_path(request) or "/")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=base_path(request) or "/",
    )
    return response


def _sign_in(request: Request, name: str, password: str) -> str | None:
    with desk_of(request).writing() as session:
        user = authenticate(session=session, name=name, password=password)
        return open_session(session=session, user=user) if user is not None else None


@router.post("/logout")
def logout(request: Request, _form: FormDep) -> Response:
    """Sign out: end the session and forget the cookie."""
    with desk_of(request).writing() as session:
        close_session(session=session, token=request.cookies.get(COOKIE))
    response = RedirectResponse(f"{base_path(request)}/login", status_code=303)
    response.delete_cookie(COOKIE, path=base_path(request) or "/")
    return response


@router.post("/language")
def choose_language(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Speak to this user in the language chosen (kept with the user)."""
    language = str(form.get("language", ""))
    if language in LANGUAGES:
        with desk_of(request).writing() as session:
            user = session.get(DeskUser, viewer.user_id)
            if user is not None:
                set_language(session=session, user=user, language=language)
    return RedirectResponse(_safe_next(request, str(form.get("back", ""))), status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, viewer: Annotated[Viewer, Depends(signed_in)]) -> Response:
    """Send each role to its first page."""
    first = next((path for perm, path, _ in NAV if viewer.can(perm)), None)
    if first is None:
        return render(request, viewer, "error.html", status=403, key="error.forbidden", detail="")
    return RedirectResponse(f"{base_path(request)}{first}", status_code=303)
